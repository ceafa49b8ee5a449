import type Keyv from 'keyv';
import type { Logger } from '../log.js';
import { DEFAULT_SETTINGS, GuildSettingsSchema, type GuildSettings } from './settings.js';

/** How often settings written by another process are picked up, ms. Default 30 s. */
export const SETTINGS_REFRESH_MS = 30_000;

/**
 * Server settings, held in memory so the checks before Discord's 3 s acknowledgement need no
 * I/O; written through to the store and reloaded from it periodically (other shards' changes).
 */
export function createSettingsCache(options: { kv: Keyv; logger: Logger; refreshMs?: number }) {
  const cache = new Map<string, GuildSettings>();
  let timer: NodeJS.Timeout | undefined;

  const parse = (guildId: string, raw: unknown): GuildSettings => {
    const parsed = GuildSettingsSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    options.logger.warn({ guild: guildId, issue: parsed.error.issues[0]?.message }, 'stored settings do not parse; using defaults');
    return DEFAULT_SETTINGS;
  };

  async function loadAll(): Promise<number> {
    if (!options.kv.iterator) return 0;
    const seen = new Set<string>();
    for await (const [key, value] of options.kv.iterator(undefined)) {
      const guildId = String(key).replace(/^settings:/, '');
      cache.set(guildId, parse(guildId, value));
      seen.add(guildId);
    }
    for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
    return seen.size;
  }

  return {
    /** Loads every server's settings and keeps them fresh; call once at start. */
    async start(): Promise<number> {
      const n = await loadAll();
      timer = setInterval(() => void loadAll().catch((err: unknown) => options.logger.warn({ err }, 'settings refresh failed')), options.refreshMs ?? SETTINGS_REFRESH_MS);
      timer.unref();
      return n;
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
    /** Settings of a server (defaults for DMs and unknown servers). Synchronous. */
    get(guildId: string | null): GuildSettings {
      return (guildId && cache.get(guildId)) || DEFAULT_SETTINGS;
    },
    /** Applies `change` to the stored settings (read fresh) and writes them through. */
    async update(guildId: string, change: (s: GuildSettings) => GuildSettings): Promise<GuildSettings> {
      const current = parse(guildId, (await options.kv.get(guildId)) ?? {});
      const next = GuildSettingsSchema.parse(change(current));
      await options.kv.set(guildId, next);
      cache.set(guildId, next);
      return next;
    },
  };
}

export type SettingsCache = ReturnType<typeof createSettingsCache>;
