/**
 * The Stop button's "stop waiting for this job" (commands/stop-job.ts), meta `stop:<jobId>`.
 * Written before anything else; the engine reads it at the start of every step, before a
 * progress edit and before the final message, so a step under way when Stop was pressed (in
 * this or another process) still never posts the video by itself.
 */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Kept as long as finished job records (30 days), ms. */
export const STOP_MARK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export const StopMarkSchema = z.object({
  /** When Stop was pressed, ms since epoch. */
  at: z.number(),
  /** Who pressed it (the requester, or a member with Manage Messages). */
  by: z.string(),
});
export type StopMark = z.infer<typeof StopMarkSchema>;

/** Keyed by job id. */
export const stopMarks = defineFamily({
  name: 'stop marks',
  namespace: 'meta',
  schema: StopMarkSchema,
  key: (jobId: string) => `stop:${jobId}`,
  ttlMs: STOP_MARK_TTL_MS,
});
