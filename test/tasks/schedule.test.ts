import { describe, expect, it } from 'vitest';
import {
  INTERACTION_TOKEN_LIFETIME_MS,
  SCHEDULE_DEFAULTS,
  nextPollDelayMs,
  retryDelayMs,
  scaledSchedule,
  snowflakeTime,
  type Schedule,
} from '../../src/tasks/schedule.js';

const S: Schedule = scaledSchedule(1);
const LOW = () => 0;
const HIGH = () => 0.999_999_999;
const MID = () => 0.5;

describe('SCHEDULE_DEFAULTS', () => {
  it('follows the upstream polling guidance', () => {
    expect(SCHEDULE_DEFAULTS).toEqual({
      firstPollMs: 5_000,
      queuedMinMs: 5_000,
      queuedMaxMs: 10_000,
      runningMinMs: 10_000,
      runningMaxMs: 15_000,
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

  it('waits at least Retry-After when it is longer than the backoff (up to the cap)', () => {
    expect(retryDelayMs(1, S, LOW, 7_000)).toBe(7_000);
    expect(retryDelayMs(1, S, LOW, 500)).toBe(1_000);
    // Documents current behaviour: a Retry-After above retryCapMs is cut to the cap.
    expect(retryDelayMs(1, S, LOW, 120_000)).toBe(60_000);
  });

  it('caps at the scaled cap', () => {
    const fast = scaledSchedule(0.01);
    expect(retryDelayMs(1, fast, HIGH)).toBe(20);
    expect(retryDelayMs(30, fast, HIGH)).toBe(600);
  });
});

describe('scaledSchedule', () => {
  it('is the defaults at scale 1', () => {
    expect(scaledSchedule(1)).toEqual(SCHEDULE_DEFAULTS);
  });

  it('scales every field at 0.01', () => {
    expect(scaledSchedule(0.01)).toEqual({
      firstPollMs: 50,
      queuedMinMs: 50,
      queuedMaxMs: 100,
      runningMinMs: 100,
      runningMaxMs: 150,
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
