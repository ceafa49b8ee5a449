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
  replaceCorrupt: () => ({ ...DEFAULT_SETTINGS, paused: true }),
});
