import { StoredValueError, type Store } from '../store/index.js';
import type { Logger } from '../log.js';
import { DEFAULT_SETTINGS, GuildSettingsSchema, type GuildSettings } from './settings.js';

/** What a server whose stored settings cannot be read gets: paused, until an admin looks. */
const pausedSettings = (): GuildSettings => ({ ...DEFAULT_SETTINGS, paused: true, failedClosed: { at: Date.now(), alerted: false } });

/** How often settings written by another process are picked up, ms. Default 30 s. */
export const SETTINGS_REFRESH_MS = 30_000;

/**
 * Server settings, held in memory so the checks before Discord's 3 s acknowledgement need no
 * I/O; written through to the store and reloaded from it periodically (other shards' changes).
 */
export function createSettingsCache(options: {
  store: Pick<Store, 'settings'>;
  logger: Logger;
  refreshMs?: number;
  /** Called after each periodic reload (not the first, in `start`); src/main.ts sends pending admin alerts then. */
  onRefresh?: () => void;
}) {
  const cache = new Map<string, GuildSettings>();
  let timer: NodeJS.Timeout | undefined;

  const usable = (guildId: string, value: GuildSettings | StoredValueError): GuildSettings => {
    if (!(value instanceof StoredValueError)) return value;
    // Fail closed (the stored row was replaced by a paused one: src/store/settings.ts).
    options.logger.warn({ guild: guildId, issue: value.issue }, 'stored settings do not parse; the server is paused');
    return pausedSettings();
  };

  async function loadAll(): Promise<number> {
    const seen = new Set<string>();
    for await (const [guildId, value] of options.store.settings.entries()) {
      cache.set(guildId, usable(guildId, value));
      seen.add(guildId);
    }
    for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
    return seen.size;
  }

  return {
    /** Loads every server's settings and keeps them fresh; call once at start. */
    async start(): Promise<number> {
      const n = await loadAll();
      timer = setInterval(
        () =>
          void loadAll().then(
            () => options.onRefresh?.(),
            (err: unknown) => options.logger.warn({ err }, 'settings refresh failed'),
          ),
        options.refreshMs ?? SETTINGS_REFRESH_MS,
      );
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
    /** Servers with stored settings (those that can have a usage ledger). */
    guildIds(): string[] {
      return [...cache.keys()];
    },
    /** Servers whose settings failed closed and whose admins have not been told yet. */
    failedClosedUnalerted(): string[] {
      return [...cache].filter(([, s]) => s.failedClosed && !s.failedClosed.alerted).map(([id]) => id);
    },
    /** Applies `change` to the stored settings (read fresh) and writes them through. */
    async update(guildId: string, change: (s: GuildSettings) => GuildSettings): Promise<GuildSettings> {
      const stored = await options.store.settings.get(guildId).catch((err: unknown) => {
        if (err instanceof StoredValueError) return err;
        throw err;
      });
      const current = stored === undefined ? DEFAULT_SETTINGS : usable(guildId, stored);
      const next = GuildSettingsSchema.parse(change(current));
      await options.store.settings.set(guildId, next);
      cache.set(guildId, next);
      return next;
    },
  };
}

export type SettingsCache = ReturnType<typeof createSettingsCache>;
