import type Keyv from 'keyv';
import { z } from 'zod';

/** Stop requests are kept as long as finished records (30 days), ms. */
export const STOP_MARK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const StopMarkSchema = z.object({
  /** When the Stop button was pressed, ms since epoch. */
  at: z.number(),
  /** Who pressed it (the requester, or a member with Manage Messages). */
  by: z.string(),
});
export type StopMark = z.infer<typeof StopMarkSchema>;

/**
 * "Stop waiting for this job", written by the Stop button before anything else. The engine reads
 * it at the start of every step and right before the final message, so a step already under way
 * when Stop was pressed (in this or another process) still never posts the video by itself.
 */
export function createStopMarks(options: { kv: Keyv }) {
  const key = (jobId: string) => `stop:${jobId}`;
  return {
    async mark(jobId: string, mark: StopMark): Promise<void> {
      await options.kv.set(key(jobId), StopMarkSchema.parse(mark), STOP_MARK_TTL_MS);
    },
    /** The stop request of a job, or `undefined` when nobody pressed Stop. */
    async get(jobId: string): Promise<StopMark | undefined> {
      const parsed = StopMarkSchema.safeParse(await options.kv.get(key(jobId)));
      return parsed.success ? parsed.data : undefined;
    },
  };
}

export type StopMarks = ReturnType<typeof createStopMarks>;
