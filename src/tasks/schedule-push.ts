/**
 * Polling as the fallback of push completion (webhooks on), as pure functions: one look a
 * little after the job's expected finish — by then its event has normally arrived and no status
 * read is needed — then a slow cadence, so a job whose event never comes still finishes.
 */

import { scaleIntervals } from './schedule.js';

/** Production values, ms; scaled like every other interval (VIDU_TIME_SCALE). */
export const PUSH_FALLBACK_DEFAULTS = {
  /** Expected submit → result when no finished job of the same shape is known yet. */
  expectedMs: 90_000,
  /** How long after the expected finish the look comes (time for the event to arrive). */
  graceMs: 20_000,
  /** Cadence after that look. */
  slowMs: 120_000,
} as const;

export type PushFallback = { -readonly [K in keyof typeof PUSH_FALLBACK_DEFAULTS]: number };

/** {@link PUSH_FALLBACK_DEFAULTS} multiplied by `scale`. */
export function scaledPushFallback(scale: number): PushFallback {
  return scaleIntervals(PUSH_FALLBACK_DEFAULTS, scale);
}

/**
 * Delay before the next fallback look, ms. `elapsedMs` is the time since the submit;
 * `expectedMs` what similar jobs took (the median), when known. Before the expected finish plus
 * the grace: wait until then. After it: the slow cadence with ±10 % jitter.
 */
export function pushFallbackDelayMs(elapsedMs: number, fallback: PushFallback, random: () => number, expectedMs?: number): number {
  const lookAt = (expectedMs ?? fallback.expectedMs) + fallback.graceMs;
  if (elapsedMs < lookAt) return Math.max(1, Math.round(lookAt - elapsedMs));
  return Math.max(1, Math.round(fallback.slowMs * (0.9 + 0.2 * random())));
}
