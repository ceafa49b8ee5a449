/**
 * Record families of the webhook receiver (issue 10), each with its zod schema and key builder,
 * over the store's shared key-value namespace (`store.meta`):
 * - `webhook-event:<event id>` — an event already taken (dedupe), kept {@link WEBHOOK_RECORD_TTL_MS};
 * - `job-by-task:<upstream task id>`, `job-by-business-id:<client_business_id>` — which job an
 *   event belongs to;
 * - `pushed:<job id>` — the task as the event reported it, for the owning shard's next step.
 * Values that fail to parse surface as {@link WebhookRecordError}.
 */
import { z } from 'zod';
import { UpstreamTaskSchema, type UpstreamTask } from '../upstream/schemas.js';

/** Longest life of every record here, ms: past an off-peak job's 48 h and toapis' last retry (24 h). */
export const WEBHOOK_RECORD_TTL_MS = 4 * 24 * 60 * 60 * 1000;

/** The key-value calls the repositories need (a keyv namespace). */
export interface KeyValue {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs?: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/** A stored webhook record that does not parse. */
export class WebhookRecordError extends Error {
  override name = 'WebhookRecordError';
}

const keys = {
  event: (eventId: string) => `webhook-event:${eventId}`,
  byTask: (taskId: string) => `job-by-task:${taskId}`,
  byBusinessId: (businessId: string) => `job-by-business-id:${businessId}`,
  pushed: (jobId: string) => `pushed:${jobId}`,
};

const EventSeenSchema = z.object({ at: z.number(), taskId: z.string().optional() });
const JobRefSchema = z.object({ jobId: z.string().min(1) });
const PushedSchema = z.object({ at: z.number(), eventId: z.string(), task: z.unknown() });

function parse<S extends z.ZodType>(schema: S, raw: unknown, key: string): z.output<S> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new WebhookRecordError(`stored ${key.split(':')[0]} does not parse: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Event ids already taken. */
export function createWebhookEventRepo(kv: KeyValue) {
  return {
    /**
     * Records `eventId` as taken; resolves `false` when it already was (a duplicate). Not atomic
     * across processes: two simultaneous deliveries of one event may both pass, which only wakes
     * the job twice — its delivery happens once either way.
     */
    async claim(eventId: string, at: number, taskId?: string): Promise<boolean> {
      const key = keys.event(eventId);
      if (parse(EventSeenSchema, await kv.get(key), key)) return false;
      await kv.set(key, { at, ...(taskId ? { taskId } : {}) }, WEBHOOK_RECORD_TTL_MS);
      return true;
    },
    async seen(eventId: string): Promise<boolean> {
      const key = keys.event(eventId);
      return parse(EventSeenSchema, await kv.get(key), key) !== undefined;
    },
  };
}

/** Upstream task id / client_business_id → job id. */
export function createJobIndexRepo(kv: KeyValue) {
  return {
    async remember(jobId: string, ids: { taskId?: string; businessId?: string }): Promise<void> {
      const writes: Promise<unknown>[] = [];
      if (ids.taskId) writes.push(kv.set(keys.byTask(ids.taskId), { jobId }, WEBHOOK_RECORD_TTL_MS));
      if (ids.businessId) writes.push(kv.set(keys.byBusinessId(ids.businessId), { jobId }, WEBHOOK_RECORD_TTL_MS));
      await Promise.all(writes);
    },
    /** The job of an event: by `client_business_id` first, then by task id. */
    async find(ids: { taskId?: string; businessId?: string }): Promise<string | undefined> {
      for (const key of [ids.businessId && keys.byBusinessId(ids.businessId), ids.taskId && keys.byTask(ids.taskId)]) {
        if (!key) continue;
        const ref = parse(JobRefSchema, await kv.get(key), key);
        if (ref) return ref.jobId;
      }
      return undefined;
    },
  };
}

/** The final task state an event brought, waiting for the owning shard's next step. */
export function createPushedResultRepo(kv: KeyValue) {
  return {
    async put(jobId: string, eventId: string, task: UpstreamTask, at: number): Promise<void> {
      await kv.set(keys.pushed(jobId), { at, eventId, task }, WEBHOOK_RECORD_TTL_MS);
    },
    /** The pushed task of `jobId`, if any (validated as a status answer). */
    async get(jobId: string): Promise<{ at: number; eventId: string; task: UpstreamTask } | undefined> {
      const key = keys.pushed(jobId);
      const stored = parse(PushedSchema, await kv.get(key), key);
      if (!stored) return undefined;
      const task = UpstreamTaskSchema.safeParse(stored.task);
      if (!task.success) throw new WebhookRecordError(`stored pushed does not parse: ${task.error.issues[0]?.message}`);
      return { at: stored.at, eventId: stored.eventId, task: task.data };
    },
    async delete(jobId: string): Promise<void> {
      await kv.delete(keys.pushed(jobId));
    },
  };
}

export type WebhookEventRepo = ReturnType<typeof createWebhookEventRepo>;
export type JobIndexRepo = ReturnType<typeof createJobIndexRepo>;
export type PushedResultRepo = ReturnType<typeof createPushedResultRepo>;
