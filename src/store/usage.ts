/** Daily weighted video-seconds per server and member (src/settings/usage.ts), meta `usage:<guildId>:<day>`. */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Usage records are kept a few days past their UTC day. */
export const USAGE_TTL_MS = 3 * 24 * 60 * 60 * 1000;

export const DayUsageSchema = z.object({
  total: z.number().min(0),
  members: z.record(z.string(), z.number().min(0)),
  /**
   * Reservations not yet final, by job id (their jobs still run): a refund gives back exactly
   * this, once; a success or a stop drops the entry and keeps the spend.
   */
  open: z.record(z.string(), z.object({ userId: z.string(), weight: z.number().min(0), at: z.number() })).default({}),
});
export type DayUsage = z.infer<typeof DayUsageSchema>;

/** Keyed by server and UTC day (`YYYY-MM-DD`). */
export const usage = defineFamily({
  name: 'usage',
  namespace: 'meta',
  schema: DayUsageSchema,
  key: ({ guildId, day }: { guildId: string; day: string }) => `usage:${guildId}:${day}`,
  ttlMs: USAGE_TTL_MS,
});
