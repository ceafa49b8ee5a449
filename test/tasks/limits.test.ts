import { describe, expect, it } from 'vitest';
import { describeLimit } from '../../src/tasks/limits.js';

describe('describeLimit', () => {
  it('in_flight names the number (plural)', () => {
    expect(describeLimit({ ok: false, reason: 'in_flight', max: 3 })).toBe('You already have 3 videos in progress. Wait for one to finish, then try again.');
  });

  it('in_flight names the number (singular)', () => {
    expect(describeLimit({ ok: false, reason: 'in_flight', max: 1 })).toBe('You already have 1 video in progress. Wait for one to finish, then try again.');
  });

  it('per_minute names the number and a relative Discord timestamp in whole seconds', () => {
    const text = describeLimit({ ok: false, reason: 'per_minute', max: 5, retryAtMs: 1_700_000_060_000 });
    expect(text).toBe('You can start 5 videos per minute. Try again <t:1700000060:R>.');
    expect(text).toMatch(/<t:\d+:R>/);
  });

  it('per_minute rounds the retry time up, never telling the member to retry too early', () => {
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 5, retryAtMs: 1_700_000_060_001 })).toContain('<t:1700000061:R>');
  });

  it('per_minute uses the singular for a limit of 1', () => {
    expect(describeLimit({ ok: false, reason: 'per_minute', max: 1, retryAtMs: 60_000 })).toBe('You can start 1 video per minute. Try again <t:60:R>.');
  });
});
