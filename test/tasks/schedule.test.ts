import { describe, expect, it } from 'vitest';
import {
  INTERACTION_TOKEN_LIFETIME_MS,
  SCHEDULE_DEFAULTS,
  createDurationHistory,
  expectedRemainingMs,
  nextPollDelayMs,
  pollHintFor,
  retryDelayMs,
  scaleIntervals,
  scaledSchedule,
  snowflakeTime,
  type Schedule,
} from '../../src/tasks/schedule.js';
import { PUSH_FALLBACK_DEFAULTS, scaledPushFallback } from '../../src/tasks/schedule-push.js';

const S: Schedule = scaledSchedule(1);
const LOW = () => 0;
const HIGH = () => 0.999_999_999;
const MID = () => 0.5;

describe('SCHEDULE_DEFAULTS', () => {
  it('follows the upstream polling guidance', () => {
    expect(SCHEDULE_DEFAULTS).toMatchObject({
      firstPollMs: 5_000,
      queuedMinMs: 5_000,
      queuedMaxMs: 10_000,
      runningMinMs: 10_000,
      runningMaxMs: 15_000,
      adaptiveMaxMs: 30_000,
      retryBaseMs: 2_000,
      retryCapMs: 60_000,
      minEditGapMs: 8_000,
      tokenMarginMs: 90_000,
    });
    expect(INTERACTION_TOKEN_LIFETIME_MS).toBe(900_000);
  });
});

describe('nextPollDelayMs', () => {
  it.each([
    ['queued', LOW, undefined, 5_000],
    ['queued', HIGH, undefined, 10_000],
    ['queued', MID, undefined, 7_500],
    ['running', LOW, undefined, 10_000],
    ['running', HIGH, undefined, 15_000],
    ['running', MID, undefined, 12_500],
    // Retry-After wins when it is longer than the drawn delay…
    ['queued', LOW, 30_000, 30_000],
    ['running', HIGH, 120_000, 120_000],
    // …and the drawn delay wins when Retry-After is shorter.
    ['queued', LOW, 1_000, 5_000],
    ['running', LOW, 0, 10_000],
  ] as const)('%s at random %o with Retry-After %o → %i ms', (phase, random, retryAfterMs, expected) => {
    expect(nextPollDelayMs(phase, S, random, retryAfterMs)).toBe(expected);
  });

  it('stays inside the window for every random value in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const r = i / 1000;
      const queued = nextPollDelayMs('queued', S, () => r);
      const running = nextPollDelayMs('running', S, () => r);
      expect(queued).toBeGreaterThanOrEqual(5_000);
      expect(queued).toBeLessThanOrEqual(10_000);
      expect(running).toBeGreaterThanOrEqual(10_000);
      expect(running).toBeLessThanOrEqual(15_000);
      expect(Number.isInteger(queued) && Number.isInteger(running)).toBe(true);
    }
  });

  it('uses the scaled windows', () => {
    const fast = scaledSchedule(0.01);
    expect(nextPollDelayMs('queued', fast, LOW)).toBe(50);
    expect(nextPollDelayMs('queued', fast, HIGH)).toBe(100);
    expect(nextPollDelayMs('running', fast, LOW)).toBe(100);
    expect(nextPollDelayMs('running', fast, HIGH)).toBe(150);
  });
});

describe('retryDelayMs', () => {
  it.each([
    // attempt, random, expected: ceiling = min(cap, 2000·2^(attempt−1)); delay in [ceiling/2, ceiling]
    [1, LOW, 1_000],
    [1, HIGH, 2_000],
    [2, LOW, 2_000],
    [2, HIGH, 4_000],
    [3, HIGH, 8_000],
    [4, HIGH, 16_000],
    [5, HIGH, 32_000],
    [6, LOW, 30_000],
    [6, HIGH, 60_000],
    [7, HIGH, 60_000],
    [50, HIGH, 60_000],
    [2_000, HIGH, 60_000],
    // attempt 0 is treated like attempt 1
    [0, HIGH, 2_000],
  ] as const)('attempt %i at random %o → %i ms', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, S, random)).toBe(expected);
  });

  it('grows with the attempt until it reaches the cap, then stays there', () => {
    const delays = Array.from({ length: 10 }, (_, i) => retryDelayMs(i + 1, S, HIGH));
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    for (let attempt = 1; attempt < 40; attempt++) {
      for (const random of [LOW, MID, HIGH]) {
        expect(retryDelayMs(attempt, S, random)).toBeLessThanOrEqual(S.retryCapMs);
      }
    }
  });

  it('waits at least Retry-After when it is longer than the backoff, even beyond the cap', () => {
    expect(retryDelayMs(1, S, LOW, 7_000)).toBe(7_000);
    expect(retryDelayMs(1, S, LOW, 500)).toBe(1_000);
    expect(retryDelayMs(1, S, LOW, 120_000)).toBe(120_000);
  });

  it('caps at the scaled cap', () => {
    const fast = scaledSchedule(0.01);
    expect(retryDelayMs(1, fast, HIGH)).toBe(20);
    expect(retryDelayMs(30, fast, HIGH)).toBe(600);
  });
});

describe('scaleIntervals', () => {
  it('scales, rounds and keeps every interval at least 1 ms; the push fallback uses it too', () => {
    expect(scaleIntervals({ a: 1_000, b: 15, c: 1 }, 0.01)).toEqual({ a: 10, b: 1, c: 1 });
    expect(scaleIntervals({ a: 1_250 }, 0.5)).toEqual({ a: 625 });
    expect(scaledPushFallback(0.01)).toEqual(scaleIntervals(PUSH_FALLBACK_DEFAULTS, 0.01));
    expect(scaledPushFallback(1)).toEqual(PUSH_FALLBACK_DEFAULTS);
  });
});

describe('scaledSchedule', () => {
  it('is the defaults at scale 1', () => {
    expect(scaledSchedule(1)).toEqual(SCHEDULE_DEFAULTS);
  });

  it('scales every field at 0.01', () => {
    const fast = scaledSchedule(0.01);
    expect(Object.keys(fast).sort()).toEqual(Object.keys(SCHEDULE_DEFAULTS).sort());
    for (const [key, value] of Object.entries(SCHEDULE_DEFAULTS)) {
      expect(fast[key as keyof Schedule], key).toBe(Math.max(1, Math.round(value / 100)));
    }
    expect(fast).toMatchObject({
      firstPollMs: 50,
      queuedMinMs: 50,
      queuedMaxMs: 100,
      runningMinMs: 100,
      runningMaxMs: 150,
      adaptiveMaxMs: 300,
      retryBaseMs: 20,
      retryCapMs: 600,
      minEditGapMs: 80,
      tokenMarginMs: 900,
    });
  });

  it('never yields 0, however small the scale', () => {
    for (const scale of [0.001, 1e-6, 1e-12]) {
      const s = scaledSchedule(scale);
      expect(Object.keys(s).sort()).toEqual(Object.keys(SCHEDULE_DEFAULTS).sort());
      for (const value of Object.values(s)) {
        expect(value).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger(value)).toBe(true);
      }
    }
    expect(scaledSchedule(1e-6).queuedMinMs).toBe(1);
  });

  it('returns a fresh object (callers may tweak it)', () => {
    const a = scaledSchedule(1);
    a.firstPollMs = 1;
    expect(scaledSchedule(1).firstPollMs).toBe(5_000);
    expect(SCHEDULE_DEFAULTS.firstPollMs).toBe(5_000);
  });
});

describe('snowflakeTime', () => {
  it.each([
    // Discord's docs example (Reference → Snowflakes).
    ['175928847299117063', 1_462_015_105_796],
    // The Discord epoch itself.
    ['0', 1_420_070_400_000],
    ['4194304', 1_420_070_400_001],
    // A 19-digit id beyond Number.MAX_SAFE_INTEGER keeps its precision.
    ['1400000000000000000', 1_420_070_400_000 + Number(1_400_000_000_000_000_000n >> 22n)],
  ])('%s → %i', (id, ms) => {
    expect(snowflakeTime(id)).toBe(ms);
  });

  it('ignores the low 22 bits (worker, process, increment)', () => {
    expect(snowflakeTime('175928847299117063')).toBe(snowflakeTime(String((175928847299117063n >> 22n) << 22n)));
  });
});

describe('expectedRemainingMs', () => {
  it.each([
    ['running 25% after 30 s', 'running', { elapsedMs: 30_000, progress: 25 }, 90_000],
    // Since the last look it moved 5 points in 10 s (150 s left): the sooner estimate (since submit) wins.
    ['running, slower lately', 'running', { elapsedMs: 30_000, progress: 25, previous: { progress: 20, agoMs: 10_000 } }, 90_000],
    // Since the last look it moved 15 points in 10 s (50 s left): sooner than since submit.
    ['running, faster lately', 'running', { elapsedMs: 30_000, progress: 25, previous: { progress: 10, agoMs: 10_000 } }, 50_000],
    ['progress 100 counts as 99', 'running', { elapsedMs: 99_000, progress: 100 }, 1_000],
    ['no progress, no history', 'running', { elapsedMs: 30_000, progress: 0 }, undefined],
    ['queued ignores progress', 'queued', { elapsedMs: 30_000, progress: 50 }, undefined],
    ['no progress: earliest finish from history', 'running', { elapsedMs: 20_000, progress: 0, history: { p10Ms: 60_000, p50Ms: 90_000, samples: 9 } }, 40_000],
    ['history already passed', 'queued', { elapsedMs: 70_000, progress: 0, history: { p10Ms: 60_000, p50Ms: 90_000, samples: 9 } }, undefined],
  ] as const)('%s', (_name, phase, hint, expected) => {
    expect(expectedRemainingMs(phase, hint)).toBe(expected);
  });
});

describe('nextPollDelayMs with a hint', () => {
  it.each([
    // remaining 90 s → half is 45 s → capped at adaptiveMaxMs 30 s; random 0.5 → jitter ×1.0
    ['far from the end: the longest gap', { elapsedMs: 30_000, progress: 25 }, MID, 30_000],
    // remaining 50 s → 25 s, jitter ×0.9 at random 0
    ['half the remaining time, low jitter', { elapsedMs: 30_000, progress: 25, previous: { progress: 10, agoMs: 10_000 } }, LOW, 22_500],
    ['half the remaining time, high jitter', { elapsedMs: 30_000, progress: 25, previous: { progress: 10, agoMs: 10_000 } }, HIGH, 27_500],
    // remaining ~1 s → never below queuedMinMs
    ['near the end: never under 5 s', { elapsedMs: 100_000, progress: 99 }, MID, 5_000],
  ] as const)('%s', (_name, hint, random, expected) => {
    expect(nextPollDelayMs('running', S, random, undefined, hint)).toBe(expected);
  });

  it('falls back to the phase window when the hint tells nothing', () => {
    expect(nextPollDelayMs('running', S, LOW, undefined, { elapsedMs: 10_000, progress: 0 })).toBe(10_000);
    expect(nextPollDelayMs('queued', S, HIGH, undefined, { elapsedMs: 10_000, progress: 0 })).toBe(10_000);
  });

  it('stays within [queuedMinMs, adaptiveMaxMs] for any progress and random value', () => {
    for (let progress = 1; progress <= 100; progress += 3) {
      for (const random of [LOW, MID, HIGH]) {
        const d = nextPollDelayMs('running', S, random, undefined, { elapsedMs: 60_000, progress });
        expect(d).toBeGreaterThanOrEqual(5_000);
        expect(d).toBeLessThanOrEqual(30_000);
      }
    }
  });

  it('still lets a longer Retry-After win', () => {
    expect(nextPollDelayMs('running', S, MID, 45_000, { elapsedMs: 100_000, progress: 99 })).toBe(45_000);
  });
});

describe('createDurationHistory', () => {
  const pro720x5 = { model: 'viduq3-pro', resolution: '720p', duration: 5 };

  it('answers only with enough samples, with p10 and p50', () => {
    const h = createDurationHistory();
    for (const s of [50, 10, 40, 20]) h.observe(pro720x5, s * 1000);
    expect(h.estimate(pro720x5)).toBeUndefined();
    h.observe(pro720x5, 30_000);
    expect(h.estimate(pro720x5)).toEqual({ p10Ms: 10_000, p50Ms: 30_000, samples: 5 });
  });

  it('falls back from the exact shape to the model, then to every job', () => {
    const h = createDurationHistory({ minSamples: 2 });
    h.observe(pro720x5, 10_000);
    h.observe({ ...pro720x5, duration: 8 }, 20_000);
    // No 1080p sample: the model key (both samples) answers.
    expect(h.estimate({ ...pro720x5, resolution: '1080p' })).toEqual({ p10Ms: 10_000, p50Ms: 20_000, samples: 2 });
    // Another model: every job answers.
    expect(h.estimate({ model: 'viduq3-turbo' })?.samples).toBe(2);
    // The exact shape has one sample only: the model answers.
    expect(h.estimate(pro720x5)?.samples).toBe(2);
  });

  it('keeps the last perKey samples per key and ignores nonsense', () => {
    const h = createDurationHistory({ perKey: 3, minSamples: 1 });
    for (const ms of [1_000, 2_000, 3_000, 4_000, 0, -5, Number.NaN, Number.POSITIVE_INFINITY]) h.observe(pro720x5, ms);
    expect(h.toJSON()).toEqual({
      'viduq3-pro|720p|5': [2_000, 3_000, 4_000],
      'viduq3-pro': [2_000, 3_000, 4_000],
      '*': [2_000, 3_000, 4_000],
    });
  });

  it('round-trips through toJSON/load and skips malformed saved data', () => {
    const a = createDurationHistory({ minSamples: 1 });
    a.observe(pro720x5, 12_000);
    const b = createDurationHistory({ minSamples: 1 });
    b.load(JSON.parse(JSON.stringify(a.toJSON())));
    expect(b.estimate(pro720x5)).toEqual(a.estimate(pro720x5));
    const c = createDurationHistory({ minSamples: 1 });
    c.load({ x: 'nope', '*': [5_000, 'x', -1, null] });
    c.load(null);
    c.load('garbage');
    expect(c.toJSON()).toEqual({ '*': [5_000] });
  });
});

describe('pollHintFor', () => {
  const request = { model: 'viduq3-pro', resolution: '720p', duration: 5 };

  it('is undefined before the submit', () => {
    expect(pollHintFor({ updatedAt: 1_000, request }, 10, 2_000)).toBeUndefined();
  });

  it('measures from the submit and from the previous look', () => {
    const record = { updatedAt: 50_000, request, upstream: { progress: 20, submittedAt: 10_000 } };
    expect(pollHintFor(record, 35, 60_000)).toEqual({
      elapsedMs: 50_000,
      progress: 35,
      previous: { progress: 20, agoMs: 10_000 },
    });
  });

  it('adds the history estimate when there is one', () => {
    const history = createDurationHistory({ minSamples: 1 });
    history.observe(request, 70_000);
    const record = { updatedAt: 50_000, request, upstream: { progress: 0, submittedAt: 10_000 } };
    expect(pollHintFor(record, 0, 60_000, history)?.history).toEqual({ p10Ms: 70_000, p50Ms: 70_000, samples: 1 });
  });
});
