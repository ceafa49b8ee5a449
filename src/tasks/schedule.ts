/**
 * When to look at a task next — pure functions, table-tested.
 * Upstream guidance (toapis video-status page): first look after ~5 s; queued every 5–10 s,
 * in progress every 10–15 s, always with random jitter; on 429 honour Retry-After.
 *
 * With what a task has told us so far (its progress, how fast it moved, what similar jobs took)
 * {@link nextPollDelayMs} spends its looks where the finish is likely: far apart while the end is
 * far, every ~5 s (never less) when it is near. That is fewer status reads than a fixed interval
 * and an earlier look at the finished video.
 */
import { backoffMs } from '../upstream/retry.js';

export const SCHEDULE_DEFAULTS = {
  /** First status read after submit, ms. */
  firstPollMs: 5_000,
  /** Window of a queued task without a hint; `queuedMinMs` is also the shortest gap ever, ms. */
  queuedMinMs: 5_000,
  queuedMaxMs: 10_000,
  /** Window of a running task without a hint, ms. */
  runningMinMs: 10_000,
  runningMaxMs: 15_000,
  /** Longest gap between two looks when the finish looks far away, ms. */
  adaptiveMaxMs: 30_000,
  /**
   * Gap between two looks at an off-peak task, ms: it may take up to 48 h and its card shows the
   * latest time, not a countdown, so a look every 5 min (≤ 576 in 48 h) instead of every 10–30 s.
   */
  offPeakPollMs: 300_000,
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

/**
 * Every interval of `defaults` (ms) multiplied by `scale` (`VIDU_TIME_SCALE`: tests and
 * benchmarks run compressed), rounded, never below 1 ms.
 */
export function scaleIntervals<T extends Record<string, number>>(defaults: T, scale: number): { -readonly [K in keyof T]: number } {
  const out = {} as { -readonly [K in keyof T]: number };
  for (const [k, v] of Object.entries(defaults)) out[k as keyof T] = Math.max(1, Math.round(v * scale));
  return out;
}

/** The schedule with every interval multiplied by `scale` (tests and benchmarks run compressed). */
export function scaledSchedule(scale: number): Schedule {
  return scaleIntervals(SCHEDULE_DEFAULTS, scale);
}

export type Phase = 'queued' | 'running';

/** The next look at an off-peak task, ms from now: {@link SCHEDULE_DEFAULTS.offPeakPollMs} ± 20 %. */
export function offPeakPollDelayMs(schedule: Schedule, random: () => number): number {
  return Math.round(schedule.offPeakPollMs * (0.8 + 0.4 * random()));
}

/** What is known about a task when its next look is chosen; every field is optional evidence. */
export interface PollHint {
  /** Time since the submit, ms. */
  elapsedMs: number;
  /** Progress the upstream reported just now, 0–100. */
  progress: number;
  /** The look before this one: its progress and how long ago it was, ms. */
  previous?: { progress: number; agoMs: number };
  /** What finished jobs like this one took from submit to result, ms (see {@link createDurationHistory}). */
  history?: DurationEstimate;
}

/** Fraction of the expected remaining time waited before the next look (0.5: halve the gap). */
const REMAINING_FRACTION = 0.5;
/** Spread of the adaptive delay: ×[1 − JITTER, 1 + JITTER]. */
const JITTER = 0.1;

/**
 * Expected time until the task finishes, ms, or `undefined` when nothing is known yet.
 * Progress beats history: once the upstream reports progress, the slower of "average speed since
 * submit" and "speed since the last look" would over-wait, so the faster (sooner) one is used.
 */
export function expectedRemainingMs(phase: Phase, hint: PollHint): number | undefined {
  const p = Math.min(99, Math.max(0, hint.progress));
  if (phase === 'running' && p > 0 && hint.elapsedMs > 0) {
    const sinceSubmit = (hint.elapsedMs * (100 - p)) / p;
    const prev = hint.previous;
    if (prev && p > prev.progress && prev.agoMs > 0) {
      const sinceLastLook = ((100 - p) * prev.agoMs) / (p - prev.progress);
      return Math.min(sinceSubmit, sinceLastLook);
    }
    return sinceSubmit;
  }
  // Nothing reported yet: the earliest plausible finish from jobs like this one.
  if (hint.history) {
    const remaining = hint.history.p10Ms - hint.elapsedMs;
    if (remaining > 0) return remaining;
  }
  return undefined;
}

/**
 * Delay before the next status read, in ms. Without a `hint` (or when it tells nothing) it is
 * the upstream's window for the phase with jitter. With one, it waits half the expected remaining
 * time, with ±10 % jitter, between `queuedMinMs` (≥ 5 s in production) and `adaptiveMaxMs`.
 * `retryAfterMs` (from a 429) wins when longer.
 */
export function nextPollDelayMs(phase: Phase, schedule: Schedule, random: () => number, retryAfterMs?: number, hint?: PollHint): number {
  const remaining = hint ? expectedRemainingMs(phase, hint) : undefined;
  let delay: number;
  if (remaining === undefined) {
    const [min, max] = phase === 'queued' ? [schedule.queuedMinMs, schedule.queuedMaxMs] : [schedule.runningMinMs, schedule.runningMaxMs];
    delay = min + Math.floor(random() * (max - min + 1));
  } else {
    const floor = schedule.queuedMinMs;
    const wanted = Math.min(schedule.adaptiveMaxMs, remaining * REMAINING_FRACTION) * (1 - JITTER + 2 * JITTER * random());
    delay = Math.max(floor, Math.min(schedule.adaptiveMaxMs, Math.round(wanted)));
  }
  return Math.max(delay, retryAfterMs ?? 0);
}

/**
 * Delay before retrying a failed step, in ms (`attempt` counts from 1): the bot's one backoff
 * policy ({@link backoffMs}) with the schedule's `retryBaseMs`/`retryCapMs` and half jitter, so
 * the wait lies in `[ceiling/2, ceiling]`; with a `retryAfterMs` it is `max(ceiling/2, retryAfterMs)`.
 */
export function retryDelayMs(attempt: number, schedule: Schedule, random: () => number, retryAfterMs?: number): number {
  return backoffMs(Math.max(0, attempt - 1), { baseMs: schedule.retryBaseMs, capMs: schedule.retryCapMs, jitter: 0.5, retryAfterMs, random });
}

/** Quantiles of past durations, ms. */
export interface DurationEstimate {
  /** One job in ten finished sooner than this. */
  p10Ms: number;
  p50Ms: number;
  samples: number;
}

/** The parts of a job that decide how long the upstream takes. */
export interface JobShape {
  model: string;
  resolution?: string;
  /** Video length, s. */
  duration?: number;
}

/**
 * What past jobs took, by shape: the most specific key with enough samples answers
 * (model + resolution + length, then model, then every job). Bounded: the last `perKey` samples
 * of each key. State is in memory; `toJSON`/`load` let the caller keep it across restarts.
 */
export function createDurationHistory(options: { perKey?: number; minSamples?: number } = {}) {
  const perKey = options.perKey ?? 100;
  const minSamples = options.minSamples ?? 5;
  const samples = new Map<string, number[]>();
  const keysOf = (shape: JobShape) => [`${shape.model}|${shape.resolution ?? ''}|${shape.duration ?? ''}`, shape.model, '*'];

  const push = (key: string, ms: number) => {
    let list = samples.get(key);
    if (!list) samples.set(key, (list = []));
    list.push(ms);
    if (list.length > perKey) list.splice(0, list.length - perKey);
  };

  return {
    /** Records one finished job: `durationMs` from submit to result. */
    observe(shape: JobShape, durationMs: number): void {
      if (!Number.isFinite(durationMs) || durationMs <= 0) return;
      for (const key of keysOf(shape)) push(key, durationMs);
    },
    estimate(shape: JobShape): DurationEstimate | undefined {
      for (const key of keysOf(shape)) {
        const list = samples.get(key);
        if (list && list.length >= minSamples) {
          const sorted = [...list].sort((a, b) => a - b);
          const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
          return { p10Ms: at(0.1), p50Ms: at(0.5), samples: sorted.length };
        }
      }
      return undefined;
    },
    toJSON(): Record<string, number[]> {
      return Object.fromEntries(samples);
    },
    /** Restores what {@link toJSON} returned; anything malformed is ignored. */
    load(saved: unknown): void {
      if (!saved || typeof saved !== 'object') return;
      for (const [key, list] of Object.entries(saved as Record<string, unknown>)) {
        if (!Array.isArray(list)) continue;
        for (const ms of list) if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) push(key, ms);
      }
    },
  };
}

export type DurationHistory = ReturnType<typeof createDurationHistory>;

/**
 * The {@link PollHint} for a task's next look: `record` as it stood before this look (its last
 * reported progress, saved at the previous look), `progress` as reported now, `at` = now (ms).
 */
export function pollHintFor(
  record: { updatedAt: number; request: JobShape; upstream?: { progress: number; submittedAt: number } },
  progress: number,
  at: number,
  history?: DurationHistory,
): PollHint | undefined {
  if (!record.upstream) return undefined;
  const estimate = history?.estimate(record.request);
  return {
    elapsedMs: at - record.upstream.submittedAt,
    progress,
    previous: { progress: record.upstream.progress, agoMs: at - record.updatedAt },
    ...(estimate ? { history: estimate } : {}),
  };
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
/** Discord's interaction tokens live 15 minutes from the interaction's creation. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

/** Creation time (ms since epoch) encoded in a Discord snowflake. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}
