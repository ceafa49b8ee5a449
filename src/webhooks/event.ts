/**
 * toapis task webhooks (upstream/toapis-vidu.md §8), as pure functions: the signature check and
 * the event body's schema. No I/O, no clock (time is an argument).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UpstreamTaskSchema, type UpstreamTask } from '../upstream/schemas.js';

/** A first delivery whose timestamp is further than this from local time is refused, s. */
export const WEBHOOK_MAX_AGE_S = 300;

/** Largest event body read, bytes (an event is well under 4 KiB). */
export const WEBHOOK_MAX_BODY_BYTES = 64 * 1024;

/** How long a finished task's result URL lives upstream when the event does not say, s. */
const RESULT_LIFETIME_S = 24 * 60 * 60;

/** The three headers a delivery carries. */
export interface WebhookHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

/** Why a delivery was refused; `signature` → 401, the others → 400. */
export type WebhookRefusal = 'missing_headers' | 'signature' | 'stale';

/** HMAC-SHA256 over `id.timestamp.body`, lowercase hex, as toapis signs it. */
export function webhookSignature(secret: string, id: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Checks a delivery's signature: accepted when any `v1=` value of the header matches the
 * HMAC under any of `secrets` (during a rotation toapis sends one per secret), compared in
 * constant time. Returns `undefined` when it is authentic, else why not.
 */
export function verifySignature(headers: WebhookHeaders, rawBody: Buffer, secrets: readonly string[]): WebhookRefusal | undefined {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || id.length > 200 || !/^\d{1,12}$/.test(timestamp)) return 'missing_headers';
  const offered = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
    .filter((hex) => /^[0-9a-f]{64}$/.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (offered.length === 0) return 'signature';
  let match = false;
  for (const secret of secrets) {
    const expected = Buffer.from(webhookSignature(secret, id, timestamp, rawBody), 'hex');
    // Every candidate is compared (no early exit), each in constant time.
    for (const candidate of offered) if (timingSafeEqual(candidate, expected)) match = true;
  }
  return match ? undefined : 'signature';
}

/** Whether the delivery's timestamp is more than {@link WEBHOOK_MAX_AGE_S} from `nowMs`. */
export function isStale(timestamp: string, nowMs: number, maxAgeS = WEBHOOK_MAX_AGE_S): boolean {
  return Math.abs(nowMs / 1000 - Number(timestamp)) > maxAgeS;
}

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** The event body (§8). Loose: fields toapis adds later pass through. */
export const WebhookEventSchema = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  api_version: z.string().optional(),
  created_at: z.coerce.number().optional(),
  data: nullable(
    z.looseObject({
      task_id: z.string().min(1).max(200),
      client_business_id: nullable(z.string().max(200)),
      task_type: nullable(z.string()),
      model: nullable(z.string()),
      status: z.string().min(1).max(40),
      progress: z.unknown().optional(),
      result: z.unknown().optional(),
      error: nullable(z.looseObject({ code: z.union([z.string(), z.number()]).optional(), message: z.string().optional() })),
      submitted_at: z.coerce.number().optional(),
      finished_at: z.coerce.number().optional(),
    }),
  ),
});
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** The event types that end a task. `endpoint.test` and unknown types are acknowledged and ignored. */
export const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['generation.completed', 'generation.failed']);

/**
 * The task as the status endpoint would show it, from a final event: `SUCCESS` → `completed`
 * (with the event's `result`), `FAILURE` → `failed` (with its `error`). Returns `undefined`
 * when the event does not fit the status schema (then the fallback poll reads the real status).
 */
export function taskFromEvent(event: WebhookEvent): UpstreamTask | undefined {
  const data = event.data;
  if (!data) return undefined;
  const success = data.status.toUpperCase() === 'SUCCESS' || event.type === 'generation.completed';
  const finished = data.finished_at ?? event.created_at;
  const parsed = UpstreamTaskSchema.safeParse({
    id: data.task_id,
    status: success ? 'completed' : 'failed',
    progress: success ? 100 : 0,
    ...(data.model ? { model: data.model } : {}),
    ...(data.client_business_id ? { client_business_id: data.client_business_id } : {}),
    ...(finished !== undefined ? { completed_at: Math.floor(finished), expires_at: Math.floor(finished) + RESULT_LIFETIME_S } : {}),
    ...(success ? { result: data.result } : { error: { code: data.error?.code ?? 'generation_failed', message: data.error?.message ?? '' } }),
  });
  return parsed.success ? parsed.data : undefined;
}
