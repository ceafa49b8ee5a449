/** Daily weighted video-seconds per server and member (src/settings/usage.ts), meta `usage:<guildId>:<day>`. */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Usage records are kept a few days past their UTC day. */
export const USAGE_TTL_MS = 3 * 24 * 60 * 60 * 1000;

export const DayUsageSchema = z.object({
  total: z.number().min(0),
  members: z.record(z.string(), z.number().min(0)),
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
