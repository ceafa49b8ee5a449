import { tn } from '../i18n/index.js';

/**
 * Per-member safeguards a fresh install applies (DESIGN: "limits are opt-in" beyond these):
 * jobs in flight and submits per rolling minute. They are counted in the store, shared by every
 * process (src/settings/operator.ts `createMemberGate`); this module holds their shape and words.
 */
export interface MemberLimits {
  maxInFlight: number;
  submitsPerMinute: number;
}

export type LimitVerdict = { ok: true } | { ok: false; reason: 'in_flight'; max: number } | { ok: false; reason: 'per_minute'; max: number; retryAtMs: number };

/** What a member over a limit is told, in `locale` (a Discord locale; default en-US). */
export function describeLimit(verdict: Exclude<LimitVerdict, { ok: true }>, locale = 'en-US'): string {
  if (verdict.reason === 'in_flight') return tn(locale, 'limit.inFlight', verdict.max);
  return tn(locale, 'limit.perMinute', verdict.max, { when: `<t:${Math.ceil(verdict.retryAtMs / 1000)}:R>` });
}
