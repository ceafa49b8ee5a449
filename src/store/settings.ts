/** Per-server settings (src/settings/settings.ts), the whole `settings` namespace keyed by guild id. */
import { GuildSettingsSchema } from '../settings/settings.js';
import { defineFamily } from './family.js';

/** Keyed by server id. Owns its namespace, so `entries()` lists every server's settings. */
export const guildSettings = defineFamily({
  name: 'settings',
  namespace: 'settings',
  schema: GuildSettingsSchema,
  key: (guildId: string) => guildId,
});
