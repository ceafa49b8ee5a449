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
    const empty: DayUsage = { total: 0, members: {}, open: {} };
    try {
      return (await options.store.usage.get({ guildId, day })) ?? empty;
    } catch (err) {
      // An unreadable day starts again from zero rather than refusing every job.
      if (err instanceof StoredValueError) return empty;
      throw err;
    }
  };

  /** Gives job `jobId`'s reservation back (it failed upstream or was never submitted); once, however often asked. */
  const refund = (guildId: string, day: string, jobId: string): Promise<void> =>
    serial(guildId, async () => {
      const usage = await read(guildId, day);
      const entry = usage.open[jobId];
      if (!entry) return;
      usage.total = Math.max(0, usage.total - entry.weight);
      usage.members[entry.userId] = Math.max(0, (usage.members[entry.userId] ?? 0) - entry.weight);
      await options.store.usage.set({ guildId, day }, { ...usage, open: withoutKey(usage.open, jobId) });
    });

  return {
    /**
     * Reserves `weightEach` for each of `jobIds` (one job, or a story's clips) of the member today
     * if both limits allow the total; once per job. `weight` in the answer is the total.
     */
    reserve(guildId: string, userId: string, weightEach: number, settings: GuildSettings, jobIds: string | readonly string[]): Promise<Reservation> {
      const ids = typeof jobIds === 'string' ? [jobIds] : jobIds;
      const jobId = ids[0]!;
      const weight = weightEach * ids.length;
      return serial(guildId, async () => {
        const now = options.now();
        const day = utcDay(now);
        const usage = await read(guildId, day);
        const memberUsed = usage.members[userId] ?? 0;
        const resetsAt = nextUtcMidnight(now);
        const left = () => ({
          ...(settings.memberDailyLimit !== undefined ? { memberLeft: settings.memberDailyLimit - (usage.members[userId] ?? 0) } : {}),
          ...(settings.serverDailyBudget !== undefined ? { serverLeft: settings.serverDailyBudget - usage.total } : {}),
        });
        // Asked again for a job already counted (a retried start): nothing is added twice.
        if (usage.open[jobId]) return { ok: true, day, weight, ...left() } as const;
        if (settings.memberDailyLimit !== undefined && memberUsed + weight > settings.memberDailyLimit) {
          return { ok: false, scope: 'member', weight, used: memberUsed, limit: settings.memberDailyLimit, resetsAt } as const;
        }
        if (settings.serverDailyBudget !== undefined && usage.total + weight > settings.serverDailyBudget) {
          return { ok: false, scope: 'server', weight, used: usage.total, limit: settings.serverDailyBudget, resetsAt } as const;
        }
        usage.total += weight;
        usage.members[userId] = memberUsed + weight;
        for (const id of ids) usage.open[id] = { userId, weight: weightEach, at: now };
        await options.store.usage.set({ guildId, day }, usage);
        return { ok: true, day, weight, ...left() } as const;
      });
    },
    refund,
    /** Job `jobId`'s spend is final (it succeeded or was stopped): a later refund gives nothing back. */
    commit(guildId: string, day: string, jobId: string): Promise<void> {
      return serial(guildId, async () => {
        const usage = await read(guildId, day);
        if (!usage.open[jobId]) return;
        await options.store.usage.set({ guildId, day }, { ...usage, open: withoutKey(usage.open, jobId) });
      });
    },
    /**
     * Gives back reservations of `guildIds` on `days` made before `before` whose job has no
     * record: the process was killed between reserving and storing the job, which was therefore
     * never acknowledged. Returns how many were given back.
     */
    async reconcile(guildIds: Iterable<string>, days: readonly string[], before: number, exists: (jobId: string) => Promise<boolean>): Promise<number> {
      let n = 0;
      for (const guildId of guildIds) {
        for (const day of days) {
          const open = (await read(guildId, day)).open;
          for (const [jobId, entry] of Object.entries(open)) {
            if (entry.at >= before || (await exists(jobId))) continue;
            await refund(guildId, day, jobId);
            n++;
          }
        }
      }
      return n;
    },
    async today(guildId: string): Promise<DayUsage> {
      return read(guildId, utcDay(options.now()));
    },
  };
}

export type UsageLedger = ReturnType<typeof createUsageLedger>;

/** `entries` without `key` (a copy). */
function withoutKey<V>(entries: Record<string, V>, key: string): Record<string, V> {
  return Object.fromEntries(Object.entries(entries).filter(([k]) => k !== key));
}

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
