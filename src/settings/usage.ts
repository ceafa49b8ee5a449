import { StoredValueError, type Store } from '../store/index.js';
import type { DayUsage } from '../store/usage.js';
import { t } from '../i18n/index.js';
import type { GuildSettings } from './settings.js';

/** The UTC day (`YYYY-MM-DD`) a time falls on: daily limits reset at 00:00 UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Start of the next UTC day, ms. */
export function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

export type Reservation =
  | { ok: true; day: string; weight: number; memberLeft?: number; serverLeft?: number }
  | { ok: false; scope: 'member' | 'server'; weight: number; used: number; limit: number; resetsAt: number };

/**
 * Daily weighted video-seconds per member and per server. A job's weight is reserved when it is
 * accepted and given back if the upstream fails it, so failed jobs are not counted.
 * Read-modify-write is serialised per server in this process; a server's jobs are handled by one
 * process (shards own guilds), so that is enough.
 */
export function createUsageLedger(options: { store: Pick<Store, 'usage'>; now: () => number }) {
  const locks = new Map<string, Promise<unknown>>();

  function serial<T>(guildId: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(guildId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(guildId, tail);
    // The last operation of a server removes its entry: the map holds busy servers only.
    void tail.then(() => {
      if (locks.get(guildId) === tail) locks.delete(guildId);
    });
    return run;
  }

  const read = async (guildId: string, day: string): Promise<DayUsage> => {
    const empty: DayUsage = { total: 0, members: {} };
    try {
      return (await options.store.usage.get({ guildId, day })) ?? empty;
    } catch (err) {
      // An unreadable day starts again from zero rather than refusing every job.
      if (err instanceof StoredValueError) return empty;
      throw err;
    }
  };

  return {
    /** Reserves `weight` for the member today if both limits allow it. */
    reserve(guildId: string, userId: string, weight: number, settings: GuildSettings): Promise<Reservation> {
      return serial(guildId, async () => {
        const now = options.now();
        const day = utcDay(now);
        const usage = await read(guildId, day);
        const memberUsed = usage.members[userId] ?? 0;
        const resetsAt = nextUtcMidnight(now);
        if (settings.memberDailyLimit !== undefined && memberUsed + weight > settings.memberDailyLimit) {
          return { ok: false, scope: 'member', weight, used: memberUsed, limit: settings.memberDailyLimit, resetsAt } as const;
        }
        if (settings.serverDailyBudget !== undefined && usage.total + weight > settings.serverDailyBudget) {
          return { ok: false, scope: 'server', weight, used: usage.total, limit: settings.serverDailyBudget, resetsAt } as const;
        }
        usage.total += weight;
        usage.members[userId] = memberUsed + weight;
        await options.store.usage.set({ guildId, day }, usage);
        return {
          ok: true,
          day,
          weight,
          ...(settings.memberDailyLimit !== undefined ? { memberLeft: settings.memberDailyLimit - usage.members[userId] } : {}),
          ...(settings.serverDailyBudget !== undefined ? { serverLeft: settings.serverDailyBudget - usage.total } : {}),
        } as const;
      });
    },
    /** Gives a reservation back (the job failed upstream or was never submitted). */
    refund(guildId: string, userId: string, weight: number, day: string): Promise<void> {
      return serial(guildId, async () => {
        const usage = await read(guildId, day);
        usage.total = Math.max(0, usage.total - weight);
        usage.members[userId] = Math.max(0, (usage.members[userId] ?? 0) - weight);
        await options.store.usage.set({ guildId, day }, usage);
      });
    },
    async today(guildId: string): Promise<{ total: number; members: Record<string, number> }> {
      return read(guildId, utcDay(options.now()));
    },
  };
}

export type UsageLedger = ReturnType<typeof createUsageLedger>;

/** A refused daily reservation, as every daily ledger (server, operator) reports it. */
export interface DailyRefusal {
  weight: number;
  used: number;
  limit: number;
  /** Start of the next UTC day, ms. */
  resetsAt: number;
}

/**
 * The numbers every daily-limit refusal shows — used, left, limit, the job's weight — and when it
 * resets as a Discord relative timestamp (`<t:…:R>`, "in 5 hours" in the reader's own clock).
 * One place, so the server's and the operator's refusals always say the same things.
 */
export function dailyRefusalParams(r: DailyRefusal): { weight: number; used: number; limit: number; left: number; resetsAt: string } {
  return { weight: r.weight, used: r.used, limit: r.limit, left: Math.max(0, r.limit - r.used), resetsAt: `<t:${Math.floor(r.resetsAt / 1000)}:R>` };
}

/** What a member over a server limit is told, with used / left / reset, in `locale` (a Discord locale; default en-US). */
export function describeReservationRefusal(r: Extract<Reservation, { ok: false }>, locale = 'en-US'): string {
  return t(locale, r.scope === 'member' ? 'budget.member' : 'budget.server', dailyRefusalParams(r));
}
