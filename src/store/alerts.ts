/** When a server's admins were last warned about credits (src/settings/alerts.ts), meta `alerted:credits:<guildId>`. */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** One warning per server per this long, ms (24 h): the row's time to live. */
export const ALERT_QUIET_MS = 24 * 60 * 60 * 1000;

/** Keyed by server id; the value is when the warning went out (ms since epoch). */
export const creditAlerts = defineFamily({
  name: 'credit alert',
  namespace: 'meta',
  schema: z.number(),
  key: (guildId: string) => `alerted:credits:${guildId}`,
  ttlMs: ALERT_QUIET_MS,
});
