/**
 * Record families of the webhook receiver (issue 10), in the store's `meta` namespace:
 * - `webhook-event:<event id>` — an event already taken (dedupe), kept {@link WEBHOOK_RECORD_TTL_MS};
 * - `job-by-task:<upstream task id>`, `job-by-business-id:<client_business_id>` — which job an
 *   event belongs to;
 * - `pushed:<job id>` — the task as the event reported it, for the owning shard's next step.
 * Values that fail to parse surface as a `StoredValueError` (src/store/family.ts).
 */
import { z } from 'zod';
import { UpstreamTaskSchema, type UpstreamTask } from '../upstream/schemas.js';
import { defineFamily, type Family } from './family.js';

/** Longest life of every record here, ms: past an off-peak job's 48 h and toapis' last retry (24 h). */
export const WEBHOOK_RECORD_TTL_MS = 4 * 24 * 60 * 60 * 1000;

const JobRefSchema = z.object({ jobId: z.string().min(1) });

/** Event ids already taken. */
export const webhookEvents = defineFamily({
  name: 'webhook event',
  namespace: 'meta',
  schema: z.object({ at: z.number(), taskId: z.string().optional() }),
  key: (eventId: string) => `webhook-event:${eventId}`,
  ttlMs: WEBHOOK_RECORD_TTL_MS,
});

/** Upstream task id → job id. */
export const jobsByTask = defineFamily({
  name: 'job by task id',
  namespace: 'meta',
  schema: JobRefSchema,
  key: (taskId: string) => `job-by-task:${taskId}`,
  ttlMs: WEBHOOK_RECORD_TTL_MS,
});

/** client_business_id → job id. */
export const jobsByBusinessId = defineFamily({
  name: 'job by business id',
  namespace: 'meta',
  schema: JobRefSchema,
  key: (businessId: string) => `job-by-business-id:${businessId}`,
  ttlMs: WEBHOOK_RECORD_TTL_MS,
});

/** The final task state an event brought (validated as a status answer), by job id. */
export const pushedResults = defineFamily({
  name: 'pushed result',
  namespace: 'meta',
  schema: z.object({ at: z.number(), eventId: z.string(), task: UpstreamTaskSchema }),
  key: (jobId: string) => `pushed:${jobId}`,
  ttlMs: WEBHOOK_RECORD_TTL_MS,
});

/** The families above, as the opened store carries them. */
export interface WebhookFamilies {
  webhookEvents: Family<string, { at: number; taskId?: string | undefined }>;
  jobsByTask: Family<string, { jobId: string }>;
  jobsByBusinessId: Family<string, { jobId: string }>;
  pushedResults: Family<string, { at: number; eventId: string; task: UpstreamTask }>;
}

/**
 * Event ids already taken. `take` is the store's atomic claim (src/settings/counters.ts: SET NX on
 * Redis, serialised in the one owning process on SQLite), so two deliveries of one event reaching
 * two shards at once act once.
 */
export function createWebhookEventRepo(store: Pick<WebhookFamilies, 'webhookEvents'>, take: (key: string, ttlMs: number) => Promise<boolean>) {
  return {
    /** Records `eventId` as taken; resolves `false` when it already was (a duplicate). */
    async claim(eventId: string, at: number, taskId?: string): Promise<boolean> {
      if (await store.webhookEvents.get(eventId)) return false;
      if (!(await take(`webhook-event:${eventId}`, WEBHOOK_RECORD_TTL_MS))) return false;
      await store.webhookEvents.set(eventId, { at, ...(taskId ? { taskId } : {}) });
      return true;
    },
    async seen(eventId: string): Promise<boolean> {
      return (await store.webhookEvents.get(eventId)) !== undefined;
    },
  };
}

/** Upstream task id / client_business_id → job id. */
export function createJobIndexRepo(store: Pick<WebhookFamilies, 'jobsByTask' | 'jobsByBusinessId'>) {
  return {
    async remember(jobId: string, ids: { taskId?: string; businessId?: string }): Promise<void> {
      const writes: Promise<unknown>[] = [];
      if (ids.taskId) writes.push(store.jobsByTask.set(ids.taskId, { jobId }));
      if (ids.businessId) writes.push(store.jobsByBusinessId.set(ids.businessId, { jobId }));
      await Promise.all(writes);
    },
    /** The job of an event: by `client_business_id` first, then by task id. */
    async find(ids: { taskId?: string; businessId?: string }): Promise<string | undefined> {
      const byBusiness = ids.businessId ? await store.jobsByBusinessId.get(ids.businessId) : undefined;
      if (byBusiness) return byBusiness.jobId;
      return ids.taskId ? (await store.jobsByTask.get(ids.taskId))?.jobId : undefined;
    },
  };
}

/** The final task state an event brought, waiting for the owning shard's next step. */
export function createPushedResultRepo(store: Pick<WebhookFamilies, 'pushedResults'>) {
  return {
    async put(jobId: string, eventId: string, task: UpstreamTask, at: number): Promise<void> {
      await store.pushedResults.set(jobId, { at, eventId, task });
    },
    /** The pushed task of `jobId`, if any. */
    get: (jobId: string) => store.pushedResults.get(jobId),
    async delete(jobId: string): Promise<void> {
      await store.pushedResults.delete(jobId);
    },
  };
}

export type WebhookEventRepo = ReturnType<typeof createWebhookEventRepo>;
export type JobIndexRepo = ReturnType<typeof createJobIndexRepo>;
export type PushedResultRepo = ReturnType<typeof createPushedResultRepo>;
