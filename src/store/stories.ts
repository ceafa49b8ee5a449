/**
 * `/vidu-story` chains (src/tasks/story.ts), meta `story:<storyId>`: each clip's request, the
 * job that runs it, and what is still reserved for it. Each clip is a normal job record (tasks);
 * this record is what ties them together and what Retry and the refunds read.
 */
import { z } from 'zod';
import { GenerationRequestSchema } from '../generation/request.js';
import { defineFamily } from './family.js';
import { FINISHED_TTL_MS } from './tasks.js';

export const STORY_STATES = ['running', 'joined', 'failed', 'stopped'] as const;

/** What one clip holds against the daily ledgers until it runs or is given back. */
const ClipQuotaSchema = z.object({
  /** UTC day of the server ledger line (src/settings/usage.ts), when one was reserved. */
  usageDay: z.string().optional(),
  memberLeft: z.number().optional(),
  serverLeft: z.number().optional(),
  /** UTC day of the operator ledger line (src/settings/operator.ts), when one was reserved. */
  operatorDay: z.string().optional(),
});

export const StoryRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  ownerId: z.string(),
  guildId: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  state: z.enum(STORY_STATES),
  /** Each clip's request in order; from the second on its image is filled from the previous last frame. */
  requests: z.array(GenerationRequestSchema).min(2).max(6),
  /** The job of each clip (its latest attempt), null until it starts. */
  jobs: z.array(z.string().max(64).nullable()).min(2).max(6),
  /** Weighted video-seconds of one clip (every clip has the same model and length). */
  clipWeight: z.number().nonnegative(),
  /** Per clip: what is reserved for it, null once it ran or was given back. */
  quotas: z.array(ClipQuotaSchema.nullable()).min(2).max(6),
  /** The clip that failed or was stopped (0-based). */
  stoppedAt: z.number().int().min(0).max(5).optional(),
});
export type StoryRecord = z.infer<typeof StoryRecordSchema>;
export type ClipQuota = z.infer<typeof ClipQuotaSchema>;

/** Keyed by story id (the id of the interaction that started it); kept as long as job records. */
export const stories = defineFamily({
  name: 'stories',
  namespace: 'meta',
  schema: StoryRecordSchema,
  key: (storyId: string) => `story:${storyId}`,
  ttlMs: FINISHED_TTL_MS,
});
