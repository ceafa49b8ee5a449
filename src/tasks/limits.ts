import { tn } from '../i18n/index.js';

/**
 * Per-member safeguards a fresh install applies (DESIGN: "limits are opt-in" beyond these):
 * jobs in flight and submits per rolling minute. Pure bookkeeping; the caller supplies the
 * in-flight count from the scheduler (which mirrors the store).
 */
export interface MemberLimits {
  maxInFlight: number;
  submitsPerMinute: number;
}

export type LimitVerdict =
  | { ok: true }
  | { ok: false; reason: 'in_flight'; max: number }
  | { ok: false; reason: 'per_minute'; max: number; retryAtMs: number };

const WINDOW_MS = 60_000;

export function createRateGate(limits: MemberLimits, now: () => number = Date.now) {
  const recent = new Map<string, number[]>();
  const prune = (userId: string): number[] => {
    const cutoff = now() - WINDOW_MS;
    const kept = (recent.get(userId) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) recent.delete(userId);
    else recent.set(userId, kept);
    return kept;
  };
  return {
    check(userId: string, inFlight: number): LimitVerdict {
      if (inFlight >= limits.maxInFlight) return { ok: false, reason: 'in_flight', max: limits.maxInFlight };
      const times = prune(userId);
      if (times.length >= limits.submitsPerMinute) {
        return { ok: false, reason: 'per_minute', max: limits.submitsPerMinute, retryAtMs: times[0]! + WINDOW_MS };
      }
      return { ok: true };
    },
    record(userId: string): void {
      recent.set(userId, [...prune(userId), now()]);
    },
  };
}

export type RateGate = ReturnType<typeof createRateGate>;

/** What a member over a limit is told, in `locale` (a Discord locale; default en-US). */
export function describeLimit(verdict: Exclude<LimitVerdict, { ok: true }>, locale = 'en-US'): string {
  if (verdict.reason === 'in_flight') return tn(locale, 'limit.inFlight', verdict.max);
  return tn(locale, 'limit.perMinute', verdict.max, { when: `<t:${Math.ceil(verdict.retryAtMs / 1000)}:R>` });
}
