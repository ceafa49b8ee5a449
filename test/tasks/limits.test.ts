import { describe, expect, it } from 'vitest';
import { createRateGate, describeLimit } from '../../src/tasks/limits.js';

/** A clock the test moves by hand. */
function clock(startMs = 1_700_000_000_000) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => void (t += ms), at: (ms: number) => void (t = ms) };
}

describe('createRateGate: jobs in flight', () => {
  it('refuses once the member has maxInFlight jobs running', () => {
    const gate = createRateGate({ maxInFlight: 3, submitsPerMinute: 100 }, clock().now);
    expect(gate.check('u1', 0)).toEqual({ ok: true });
    expect(gate.check('u1', 2)).toEqual({ ok: true });
    expect(gate.check('u1', 3)).toEqual({ ok: false, reason: 'in_flight', max: 3 });
    expect(gate.check('u1', 7)).toEqual({ ok: false, reason: 'in_flight', max: 3 });
  });

  it('reports in_flight before per_minute when both apply', () => {
    const c = clock();
    const gate = createRateGate({ maxInFlight: 1, submitsPerMinute: 1 }, c.now);
    gate.record('u1');
    expect(gate.check('u1', 1)).toEqual({ ok: false, reason: 'in_flight', max: 1 });
    expect(gate.check('u1', 0)).toMatchObject({ ok: false, reason: 'per_minute' });
  });
});

describe('createRateGate: submits per rolling minute', () => {
  it('refuses the (max+1)th submit within a minute, retryAt = first submit + 60 s', () => {
    const c = clock(1_000_000);
    const gate = createRateGate({ maxInFlight: 100, submitsPerMinute: 3 }, c.now);
    for (let i = 0; i < 3; i++) {
      expect(gate.check('u1', 0)).toEqual({ ok: true });
      gate.record('u1');
      c.advance(10_000);
    }
    // Submits at 1_000_000, 1_010_000, 1_020_000; now 1_030_000.
    expect(gate.check('u1', 0)).toEqual({ ok: false, reason: 'per_minute', max: 3, retryAtMs: 1_060_000 });
  });

  it('counts members separately', () => {
    const gate = createRateGate({ maxInFlight: 100, submitsPerMinute: 1 }, clock().now);
    gate.record('u1');
    expect(gate.check('u1', 0)).toMatchObject({ ok: false, reason: 'per_minute' });
    expect(gate.check('u2', 0)).toEqual({ ok: true });
  });

  it('slides: the oldest submit leaves the window exactly 60 s after it was made', () => {
    const c = clock(0);
    c.at(5_000_000);
    const gate = createRateGate({ maxInFlight: 100, submitsPerMinute: 2 }, c.now);
    gate.record('u1'); // 5_000_000
    c.at(5_030_000);
    gate.record('u1'); // 5_030_000
    c.at(5_059_999);
    expect(gate.check('u1', 0)).toEqual({ ok: false, reason: 'per_minute', max: 2, retryAtMs: 5_060_000 });
    c.at(5_060_000);
    expect(gate.check('u1', 0)).toEqual({ ok: true });
    gate.record('u1'); // 5_060_000; window now holds 5_030_000 and 5_060_000
    expect(gate.check('u1', 0)).toEqual({ ok: false, reason: 'per_minute', max: 2, retryAtMs: 5_090_000 });
    c.at(5_090_000);
    expect(gate.check('u1', 0)).toEqual({ ok: true });
    c.at(5_120_000);
    gate.record('u1');
    gate.record('u1');
    expect(gate.check('u1', 0)).toEqual({ ok: false, reason: 'per_minute', max: 2, retryAtMs: 5_180_000 });
  });

  it('check alone never uses up the allowance', () => {
    const gate = createRateGate({ maxInFlight: 100, submitsPerMinute: 1 }, clock().now);
    for (let i = 0; i < 10; i++) expect(gate.check('u1', 0)).toEqual({ ok: true });
  });

  it('forgets everything after a quiet minute', () => {
    const c = clock();
    const gate = createRateGate({ maxInFlight: 100, submitsPerMinute: 2 }, c.now);
    gate.record('u1');
    gate.record('u1');
    c.advance(60_001);
    expect(gate.check('u1', 0)).toEqual({ ok: true });
    gate.record('u1');
    expect(gate.check('u1', 0)).toEqual({ ok: true });
  });
});

describe('describeLimit', () => {
  it('in_flight names the number (plural)', () => {
    expect(describeLimit({ ok: false, reason: 'in_flight', max: 3 })).toBe(
      'You already have 3 videos in progress. Wait for one to finish, then try again.',
    );
  });

  it('in_flight names the number (singular)', () => {
    expect(describeLimit({ ok: false, reason: 'in_flight', max: 1 })).toBe(
      'You already have 1 video in progress. Wait for one to finish, then try again.',
    );
  });

  it('per_minute names the number and a relative Discord timestamp in whole seconds', () => {
    const text = describeLimit({ ok: false, reason: 'per_minute', max: 5, retryAtMs: 1_700_000_060_000 });
    expect(text).toBe('You can start 5 videos per minute. Try again <t:1700000060:R>.');
    expect(text).toMatch(/<t:\d+:R>/);
  });

  it('per_minute rounds the retry time up, never telling the member to retry too early', () => {
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 5, retryAtMs: 1_700_000_060_001 })).toContain(
      '<t:1700000061:R>',
    );
  });

  it('per_minute timestamp comes from a real gate verdict', () => {
    const gate = createRateGate({ maxInFlight: 9, submitsPerMinute: 2 }, () => 1_700_000_000_500);
    gate.record('u1');
    gate.record('u1');
    const verdict = gate.check('u1', 0);
    if (verdict.ok) throw new Error('expected a refusal');
    expect(describeLimit(verdict)).toBe('You can start 2 videos per minute. Try again <t:1700000061:R>.');
  });

  it('per_minute uses the singular for a limit of 1', () => {
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 1, retryAtMs: 60_000 })).toBe(
      'You can start 1 video per minute. Try again <t:60:R>.',
    );
  });
});
