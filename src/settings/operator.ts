/**
 * The operator's upper bounds on spend (DESIGN "Contract additions"): `VIDU_USER_DAILY_LIMIT`
 * (weighted video-seconds per member per UTC day, across every server, DM and user install),
 * `VIDU_DAILY_BUDGET` (the whole bot), and the per-member safeguards (jobs in flight, job starts
 * per minute). Same mechanism as the server ledger (src/settings/usage.ts): reserved when a job
 * is accepted, given back when the upstream fails it — but kept in {@link Counters}, so they hold
 * across restarts and shards.
 */
import { t } from '../i18n/index.js';
import type { LimitVerdict, MemberLimits } from '../tasks/limits.js';
import type { Counters } from './counters.js';
import { SUBJECT_SAVES_PER_HOUR } from '../subjects/library.js';
import { dailyRefusalParams, nextUtcMidnight, utcDay } from './usage.js';

/** Ledger lines outlive their UTC day by a little (for the refund of a job that ends after midnight). */
const LEDGER_TTL_MS = 3 * 24 * 60 * 60 * 1000;
/** The rolling window of the per-minute safeguard, ms. */
const MINUTE_MS = 60_000;
/** The rolling window of the subject-save safeguard, ms. */
const HOUR_MS = 60 * MINUTE_MS;

export interface OperatorLimits {
  /** Weighted video-seconds one member may use per UTC day, everywhere. Unset = unlimited. */
  userDailyLimit?: number;
  /** Weighted video-seconds the whole bot may use per UTC day. Unset = unlimited. */
  dailyBudget?: number;
  /** `false` refuses generation in DMs and in servers reached only through a user install. */
  allowDms: boolean;
}

export type OperatorReservation =
  /** `reserved` is false when no operator limit is set (nothing was counted, nothing to give back). */
  | { ok: true; day: string; weight: number; reserved: boolean; userLeft?: number; botLeft?: number }
  | { ok: false; scope: 'user' | 'bot'; weight: number; used: number; limit: number; resetsAt: number };

const userKey = (userId: string, day: string) => `user:${userId}:${day}`;
const botKey = (day: string) => `bot:${day}`;

/** The operator's daily ledgers over shared {@link Counters}. */
export function createOperatorLedger(options: { counters: Counters; limits: OperatorLimits; now: () => number }) {
  const { counters, limits } = options;
  const lines = (userId: string, day: string) => [
    ...(limits.userDailyLimit !== undefined ? [{ key: userKey(userId, day), limit: limits.userDailyLimit, scope: 'user' as const }] : []),
    ...(limits.dailyBudget !== undefined ? [{ key: botKey(day), limit: limits.dailyBudget, scope: 'bot' as const }] : []),
  ];
  return {
    /**
     * Reserves `weight` for each of `jobIds` (one job, or a story's clips) of the member today if
     * both operator limits allow the total (atomically, once per job). `weight` in the answer is the total.
     */
    async reserve(userId: string, weightEach: number, jobIds: string | readonly string[]): Promise<OperatorReservation> {
      const now = options.now();
      const day = utcDay(now);
      const ids = typeof jobIds === 'string' ? [jobIds] : jobIds;
      const weight = weightEach * ids.length;
      const wanted = lines(userId, day);
      if (wanted.length === 0) return { ok: true, day, weight, reserved: false };
      const result = await counters.reserve(wanted, weightEach, LEDGER_TTL_MS, { ids, day, at: now });
      if (!result.ok) {
        const line = wanted[result.index]!;
        return { ok: false, scope: line.scope, weight, used: result.used, limit: line.limit, resetsAt: nextUtcMidnight(now) };
      }
      const left = (scope: 'user' | 'bot') => {
        const i = wanted.findIndex((l) => l.scope === scope);
        return i < 0 ? undefined : wanted[i]!.limit - result.used[i]!;
      };
      const userLeft = left('user');
      const botLeft = left('bot');
      return { ok: true, day, weight, reserved: true, ...(userLeft !== undefined ? { userLeft } : {}), ...(botLeft !== undefined ? { botLeft } : {}) };
    },
    /** Gives job `jobId`'s reservation of `day` back (it failed upstream or never started); once, however often asked. */
    refund(jobId: string, day: string): Promise<void> {
      return counters.release(day, jobId);
    },
    /** Job `jobId`'s spend is final (it succeeded or was stopped): a later refund gives nothing back. */
    commit(jobId: string, day: string): Promise<void> {
      return counters.commit(day, jobId);
    },
    /**
     * Gives back reservations of `days` made before `before` whose job has no record (`exists`
     * says false): the process was killed between reserving and storing the job, which was
     * therefore never acknowledged. Returns how many were given back.
     */
    async reconcile(days: readonly string[], before: number, exists: (jobId: string) => Promise<boolean>): Promise<number> {
      let n = 0;
      for (const day of days) {
        for (const entry of await counters.openEntries(day)) {
          if (entry.at >= before || (await exists(entry.id))) continue;
          await counters.release(day, entry.id);
          n++;
        }
      }
      return n;
    },
    /** Today's totals: the member's and the bot's. */
    async today(userId: string): Promise<{ user: number; bot: number }> {
      const day = utcDay(options.now());
      const [user = 0, bot = 0] = await counters.read([userKey(userId, day), botKey(day)]);
      return { user, bot };
    },
  };
}

export type OperatorLedger = ReturnType<typeof createOperatorLedger>;

/** What a member over an operator limit is told, with used / left / reset, in `locale`. */
export function describeOperatorRefusal(r: Extract<OperatorReservation, { ok: false }>, locale = 'en-US'): string {
  return t(locale, r.scope === 'user' ? 'cap.userDaily' : 'cap.botDaily', dailyRefusalParams(r));
}

/**
 * Each member's safeguards, kept in {@link Counters}: at most `maxInFlight` jobs at once and
 * `submitsPerMinute` job starts per rolling minute (re-posts through `/vidu-show` have a window
 * of their own). Check and record are one atomic step, so two shards cannot both let the
 * member's sixth job through.
 */
export function createMemberGate(options: {
  counters: Counters;
  limits: MemberLimits;
  inFlightMaxAgeMs: number;
  now: () => number;
  /** Subject saves per rolling hour; default {@link SUBJECT_SAVES_PER_HOUR}. */
  subjectSavesPerHour?: number;
}) {
  const { counters, limits } = options;
  const job = { windowMs: MINUTE_MS, perWindow: limits.submitsPerMinute, maxInFlight: limits.maxInFlight, inFlightMaxAgeMs: options.inFlightMaxAgeMs };
  const repost = { windowMs: MINUTE_MS, perWindow: limits.submitsPerMinute, inFlightMaxAgeMs: options.inFlightMaxAgeMs };
  const subjectSave = { windowMs: HOUR_MS, perWindow: options.subjectSavesPerHour ?? SUBJECT_SAVES_PER_HOUR, inFlightMaxAgeMs: HOUR_MS };
  return {
    /** Admits job `jobId` of `userId` (counts it in flight and in this minute) or says which limit refused. */
    admitJob(userId: string, jobId: string): Promise<LimitVerdict> {
      return counters.admit('job', userId, jobId, job, options.now());
    },
    /** A re-post (`/vidu-show`), in its own per-minute window. */
    admitRepost(userId: string, id: string): Promise<LimitVerdict> {
      return counters.admit('show', userId, id, repost, options.now());
    },
    /**
     * A subject save (`/vidu-subjects add`, new or replacing), `id` its interaction id: at most
     * `subjectSavesPerHour` per rolling hour, so nobody churns the store with uploads.
     */
    admitSubjectSave(userId: string, id: string): Promise<LimitVerdict> {
      return counters.admit('subject', userId, id, subjectSave, options.now());
    },
    /** The job finished (any outcome): it no longer counts in flight. */
    finish(userId: string, jobId: string): Promise<void> {
      return counters.finish('job', userId, jobId);
    },
    /** The job was refused after its admission: it counts nowhere. */
    cancel(userId: string, jobId: string): Promise<void> {
      return counters.cancel('job', userId, jobId);
    },
  };
}

export type MemberGate = ReturnType<typeof createMemberGate>;
