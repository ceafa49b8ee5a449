/** Per-server settings (src/settings/settings.ts), the whole `settings` namespace keyed by guild id. */
import { DEFAULT_SETTINGS, GuildSettingsSchema } from '../settings/settings.js';
import { defineFamily } from './family.js';

/** Keyed by server id. Owns its namespace, so `entries()` lists every server's settings. */
export const guildSettings = defineFamily({
  name: 'settings',
  namespace: 'settings',
  schema: GuildSettingsSchema,
  key: (guildId: string) => guildId,
  // Fail closed: a server whose settings cannot be read is paused until an admin looks, never
  // opened to defaults (its channel and role limits, caps and budget would silently vanish).
  // `failedClosed` marks the incident, so the admins are told once (src/settings/alerts.ts).
  replaceCorrupt: () => ({ ...DEFAULT_SETTINGS, paused: true, failedClosed: { at: Date.now(), alerted: false } }),
});
