/**
 * zod schemas for the JSON toapis returns, parsed once at the boundary
 * (upstream/toapis-vidu.md §2, §3, §6). Objects are loose: unknown fields pass through so an
 * upstream addition never breaks parsing.
 */
import { z } from 'zod';

/** Where a task is in its life, whatever spelling the upstream used for it. */
export type TaskPhase = 'queued' | 'running' | 'completed' | 'failed';

/**
 * Maps an upstream `status` to a {@link TaskPhase}. `queued`, `submitted` (EN status table) and
 * `pending` (seen from toapis via litellm) are `queued`; `in_progress`, `processing` and every
 * unknown value are `running` — an unknown status must never end a task. Case and surrounding
 * whitespace are ignored.
 */
export function taskPhase(status: string): TaskPhase {
  switch (status.trim().toLowerCase()) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'queued':
    case 'submitted':
    case 'pending':
      return 'queued';
    default:
      return 'running';
  }
}

const httpUrl = z.url({ protocol: /^https?$/ });

/** Unix seconds; numeric strings are accepted. */
const unixSeconds = z.coerce.number().int().nonnegative();

/** 0–100; strings coerced, out-of-range clamped, nonsense dropped. */
const progress = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((value) => {
    if (value === null || value === undefined) return undefined;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n)) return undefined;
    return Math.min(100, Math.max(0, Math.round(n)));
  });

const TaskResultItem = z.looseObject({
  url: httpUrl,
  format: z.string().optional(),
  last_frame_url: httpUrl.optional(),
});

const TaskResult = z.looseObject({
  type: z.string().optional(),
  data: z.array(TaskResultItem),
});

const TaskError = z.looseObject({
  code: z.union([z.string(), z.number()]),
  message: z.string(),
});

/**
 * A video task as returned by submit and status (`GET /v1/videos/generations/{id}`).
 * A `completed` task must carry `result.data[0].url`; otherwise the response is invalid.
 */
export const UpstreamTaskSchema = z
  .looseObject({
    id: z.string().min(1),
    status: z.string().min(1),
    progress,
    model: z.string().optional(),
    created_at: unixSeconds.optional(),
    completed_at: unixSeconds.nullish().transform((v) => v ?? undefined),
    expires_at: unixSeconds.nullish().transform((v) => v ?? undefined),
    client_business_id: z
      .string()
      .nullish()
      .transform((v) => v ?? undefined),
    result: TaskResult.nullish().transform((v) => v ?? undefined),
    error: TaskError.nullish().transform((v) => v ?? undefined),
  })
  .superRefine((task, ctx) => {
    if (taskPhase(task.status) === 'completed' && task.result?.data[0]?.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['result', 'data', 0, 'url'], message: 'completed task without a video URL' });
    }
  });

/** A parsed toapis video task. Use {@link taskPhase} on `status`. */
export type UpstreamTask = z.output<typeof UpstreamTaskSchema>;

/** `POST /v1/uploads/images` success body; the usable URL is `data.url`. */
export const UploadResponseSchema = z.looseObject({
  success: z.literal(true),
  data: z.looseObject({
    id: z.string().min(1),
    url: httpUrl,
    mime_type: z.string().optional(),
    size: z.number().optional(),
  }),
});

/** `GET /v1/balance` success body; `remain_balance` is -1 for an unlimited key. */
export const BalanceResponseSchema = z.looseObject({
  success: z.literal(true),
  remain_balance: z.coerce.number(),
  used_balance: z.coerce.number(),
  unlimited_quota: z.boolean().optional(),
});

/** The `{"success":false,"message":…}` envelope the upload and balance endpoints use. */
export const FailureEnvelopeSchema = z.looseObject({
  success: z.literal(false),
  message: z.string().optional(),
});
