import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/upstream/retry.js';
import { nextPollDelayMs, retryDelayMs, scaledSchedule } from '../../src/tasks/schedule.js';

/** Every wait the bot computes stays inside the bounds its docs state. */
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const scale = fc.oneof(fc.constant(1), fc.double({ min: 0.0001, max: 1, noNaN: true }));

describe('backoff bounds (property)', () => {
  it('backoffMs: within [ceiling·(1 − jitter), ceiling] of its own; a Retry-After is honoured in full', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        fc.option(fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -10_000, max: 10_000_000 })), { nil: undefined }),
        unit,
        (attempt, baseMs, capMs, jitter, retryAfterMs, r) => {
          const ms = backoffMs(attempt, { baseMs, capMs, jitter, retryAfterMs, random: () => r });
          const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
          const floor = ceiling * (1 - (jitter ?? 1));
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(Math.max(0, Math.floor(floor)));
          if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
            // Never sooner than the server asked, never longer than asked unless the floor says so.
            expect(ms).toBeGreaterThanOrEqual(Math.round(retryAfterMs));
            expect(ms).toBeLessThanOrEqual(Math.max(Math.ceil(floor), Math.round(retryAfterMs)));
          } else {
            expect(ms).toBeLessThanOrEqual(ceiling);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('retryDelayMs is backoffMs with the schedule’s base and cap, half jitter, attempt counted from 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000 }),
        scale,
        unit,
        fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
        (attempt, s, r, retryAfterMs) => {
          const schedule = scaledSchedule(s);
          const expected = backoffMs(Math.max(0, attempt - 1), {
            baseMs: schedule.retryBaseMs,
            capMs: schedule.retryCapMs,
            jitter: 0.5,
            retryAfterMs,
            random: () => r,
          });
          expect(retryDelayMs(attempt, schedule, () => r, retryAfterMs)).toBe(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('retryDelayMs: within [ceiling/2, cap] of its own backoff, never shorter than Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        scale,
        unit,
        fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
        (attempt, s, r, retryAfterMs) => {
          const schedule = scaledSchedule(s);
          const ms = retryDelayMs(attempt, schedule, () => r, retryAfterMs);
          const ceiling = Math.min(schedule.retryCapMs, schedule.retryBaseMs * 2 ** (attempt - 1));
          expect(ms).toBeGreaterThanOrEqual(Math.max(Math.floor(ceiling / 2), retryAfterMs ?? 0));
          expect(ms).toBeLessThanOrEqual(Math.max(schedule.retryCapMs, retryAfterMs ?? 0));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('nextPollDelayMs: the phase window without evidence, [queuedMin, adaptiveMax] with it, and at least any Retry-After', () => {
    const hint = fc.option(
      fc.record({
        elapsedMs: fc.oneof(fc.integer({ min: -1_000, max: 10_000_000 }), fc.double({ noNaN: false })),
        progress: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double({ noNaN: false })),
        previous: fc.option(
          fc.record({
            progress: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double()),
            agoMs: fc.oneof(fc.integer({ min: -1_000, max: 1_000_000 }), fc.double()),
          }),
          { nil: undefined },
        ),
        history: fc.option(
          fc.record({ p10Ms: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double()), p50Ms: fc.integer({ min: 0, max: 1_000_000 }), samples: fc.nat() }),
          { nil: undefined },
        ),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('queued' as const, 'running' as const),
        scale,
        unit,
        fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }),
        hint,
        (phase, s, r, retryAfterMs, h) => {
          const schedule = scaledSchedule(s);
          const ms = nextPollDelayMs(phase, schedule, () => r, retryAfterMs, h);
          expect(Number.isFinite(ms)).toBe(true);
          const floor = schedule.queuedMinMs;
          const ceiling = Math.max(schedule.adaptiveMaxMs, phase === 'queued' ? schedule.queuedMaxMs : schedule.runningMaxMs);
          expect(ms).toBeGreaterThanOrEqual(Math.max(floor, retryAfterMs ?? 0));
          expect(ms).toBeLessThanOrEqual(Math.max(ceiling, retryAfterMs ?? 0));
          if (h === undefined && (retryAfterMs ?? 0) === 0) {
            const [min, max] = phase === 'queued' ? [schedule.queuedMinMs, schedule.queuedMaxMs] : [schedule.runningMinMs, schedule.runningMaxMs];
            expect(ms).toBeGreaterThanOrEqual(min);
            expect(ms).toBeLessThanOrEqual(max);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
