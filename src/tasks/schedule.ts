/**
 * When to look at a task next — pure functions, table-tested.
 * Upstream guidance (toapis video-status page): first look after ~5 s; queued every 5–10 s,
 * in progress every 10–15 s, always with random jitter; on 429 honour Retry-After.
 */
export const SCHEDULE_DEFAULTS = {
  /** First status read after submit, ms. */
  firstPollMs: 5_000,
  queuedMinMs: 5_000,
  queuedMaxMs: 10_000,
  runningMinMs: 10_000,
  runningMaxMs: 15_000,
  /** Retry of a failed step (store, network), doubled per attempt up to the cap, ms. */
  retryBaseMs: 2_000,
  retryCapMs: 60_000,
  /** Minimum gap between two progress edits of one message, ms. */
  minEditGapMs: 8_000,
  /** Stop using the interaction token this long before Discord's 15 minutes run out, ms. */
  tokenMarginMs: 90_000,
  /** Per-request timeout of every toapis call, ms. */
  upstreamTimeoutMs: 30_000,
  /** Whole-download budget of one reference image from Discord, ms. */
  imageDownloadTimeoutMs: 30_000,
  /** Whole-download budget of the finished video, ms. */
  videoDownloadTimeoutMs: 180_000,
} as const;

export type Schedule = { -readonly [K in keyof typeof SCHEDULE_DEFAULTS]: number };

/** The schedule with every interval multiplied by `scale` (tests and benchmarks run compressed). */
export function scaledSchedule(scale: number): Schedule {
  const out = {} as Schedule;
  for (const [k, v] of Object.entries(SCHEDULE_DEFAULTS)) out[k as keyof Schedule] = Math.max(1, Math.round(v * scale));
  return out;
}

export type Phase = 'queued' | 'running';

/** Delay before the next status read, in ms. `retryAfterMs` (from a 429) wins when longer. */
export function nextPollDelayMs(
  phase: Phase,
  schedule: Schedule,
  random: () => number,
  retryAfterMs?: number,
): number {
  const [min, max] = phase === 'queued' ? [schedule.queuedMinMs, schedule.queuedMaxMs] : [schedule.runningMinMs, schedule.runningMaxMs];
  const delay = min + Math.floor(random() * (max - min + 1));
  return Math.max(delay, retryAfterMs ?? 0);
}

/** Exponential backoff with full jitter for a failed step, in ms (attempt counts from 1). */
export function retryDelayMs(attempt: number, schedule: Schedule, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(schedule.retryCapMs, schedule.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  const delay = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.min(schedule.retryCapMs, Math.max(delay, retryAfterMs ?? 0));
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
/** Discord's interaction tokens live 15 minutes from the interaction's creation. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

/** Creation time (ms since epoch) encoded in a Discord snowflake. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}
