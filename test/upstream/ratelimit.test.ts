import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RATE_GROUPS, RATE_GUARD, createRateLimiter, createTokenBucket, feedbackEffect, rateInterval } from '../../src/upstream/ratelimit.js';

describe('rateInterval', () => {
  it.each([
    [5, 200],
    [1, 1_000],
    [0.5, 2_000],
    [50, 20],
  ])('%d per second → one grant every %d ms, plus the guard', (rate, ms) => {
    expect(rateInterval(rate, 0)).toBe(ms);
    expect(rateInterval(rate)).toBeCloseTo(ms * (1 + RATE_GUARD), 9);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => rateInterval(0)).toThrow(RangeError);
  });
});

describe('createRateLimiter (even spacing, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Starts `n` acquires at once and records when each resolves (ms after start). */
  async function grantTimes(limiter: ReturnType<typeof createRateLimiter>, n: number) {
    const start = Date.now();
    const times: number[] = [];
    const all = Array.from({ length: n }, () => limiter.acquire().then(() => void times.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all(all);
    return times;
  }

  it('releases one request per interval, the first at once', async () => {
    expect(await grantTimes(createRateLimiter({ ratePerSecond: 4, guard: 0 }), 6)).toEqual([0, 250, 500, 750, 1_000, 1_250]);
  });

  it('never lets more than the cap through in any one-second span', async () => {
    const times = await grantTimes(createRateLimiter({ ratePerSecond: 50 }), 300);
    let most = 0;
    for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length);
    // Timers wait whole ms (21 ms here), so a little under the cap; never over.
    expect(most).toBeLessThanOrEqual(50);
    expect(most).toBeGreaterThanOrEqual(47);
    // 300 grants at one per 20.2 ms (timer granularity rounds each wait up to the next ms).
    expect(times.at(-1)).toBeGreaterThanOrEqual(299 * 20.2);
    expect(times.at(-1)).toBeLessThanOrEqual(299 * 21);
  });

  it('does not catch up after a quiet spell: no burst', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 10, guard: 0 });
    await grantTimes(limiter, 1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await grantTimes(limiter, 3)).toEqual([0, 100, 200]);
  });

  it('serves waiters in order, and an aborted waiter leaves the queue without taking a slot', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, guard: 0 });
    const controller = new AbortController();
    const start = Date.now();
    const order: string[] = [];
    const a = limiter.acquire().then(() => order.push(`a@${Date.now() - start}`));
    const b = limiter.acquire(controller.signal).then(
      () => order.push('b'),
      (err: unknown) => order.push(`b aborted: ${(err as Error).name}`),
    );
    const c = limiter.acquire().then(() => order.push(`c@${Date.now() - start}`));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new DOMException('gone', 'AbortError'));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a@0', 'b aborted: AbortError', 'c@1000']);
  });

  it('rejects at once for a signal that is already aborted', async () => {
    const limiter = createRateLimiter({ ratePerSecond: 1 });
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('createTokenBucket (documented budgets, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function grantTimes(limiter: ReturnType<typeof createTokenBucket>, n: number, advanceMs = 60_000) {
    const start = Date.now();
    const times: number[] = [];
    const all = Array.from({ length: n }, () => limiter.acquire().then(() => void times.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(advanceMs);
    await Promise.all(all);
    return times;
  }

  /** Most grants in any window of `windowMs` (inclusive start, exclusive end). */
  function maxIn(times: number[], windowMs: number): number {
    let best = 0;
    for (let i = 0; i < times.length; i++) best = Math.max(best, times.filter((t) => t >= times[i]! && t < times[i]! + windowMs).length);
    return best;
  }

  it('lets the burst through at once, then refills at the rate', async () => {
    const times = await grantTimes(createTokenBucket({ ratePerSecond: 5, burst: 50, guard: 0 }), 60);
    expect(times.slice(0, 50).every((t) => t === 0)).toBe(true);
    // The 51st waits for one token (200 ms), each later one 200 ms more.
    expect(times.slice(50)).toEqual(Array.from({ length: 10 }, (_, i) => 200 * (i + 1)));
  });

  it.each(Object.entries(RATE_GROUPS))('%s group: never more than burst + rate × window in any window', async (_name, group) => {
    for (const budget of [group.submit]) {
      const n = Math.ceil(budget.burst * 1.5);
      const times = await grantTimes(createTokenBucket({ ...budget }), n, 120_000);
      expect(times).toHaveLength(n);
      for (const windowMs of [1_000, 10_000]) {
        expect(maxIn(times, windowMs)).toBeLessThanOrEqual(Math.floor(budget.burst + (budget.ratePerSecond * windowMs) / 1000));
      }
    }
  });

  it('a 429 gives its token back and pauses the bucket for Retry-After', async () => {
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 2, guard: 0 });
    await bucket.acquire();
    await bucket.acquire();
    expect(bucket.tokens).toBeCloseTo(0, 6);
    bucket.feedback({ status: 429, retryAfterMs: 3_000 });
    expect(bucket.tokens).toBeCloseTo(1, 6);
    let grantedAt: number | undefined;
    const start = Date.now();
    void bucket.acquire().then(() => (grantedAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(grantedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10);
    expect(grantedAt).toBe(3_000);
  });

  it('follows X-RateLimit-Remaining down (never up); at 0 the next token comes from its own refill', async () => {
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 10, guard: 0 });
    bucket.feedback({ status: 200, remaining: 3 });
    expect(bucket.tokens).toBeCloseTo(3, 6);
    bucket.feedback({ status: 200, remaining: 9 });
    expect(bucket.tokens).toBeCloseTo(3, 6);
    bucket.feedback({ status: 200, remaining: 0, resetMs: 5_000 });
    const start = Date.now();
    let grantedAt: number | undefined;
    void bucket.acquire().then(() => (grantedAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(990);
    expect(grantedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(20);
    expect(grantedAt).toBe(1_000);
  });

  it('an aborted waiter leaves the queue without taking a token', async () => {
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, guard: 0 });
    await bucket.acquire();
    const controller = new AbortController();
    const waiting = bucket.acquire(controller.signal);
    controller.abort(new DOMException('gone', 'AbortError'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bucket.tokens).toBeCloseTo(1, 6);
  });

  it('feedbackEffect: a 429 without headers pauses 1 s; pauses are capped at 120 s', () => {
    expect(feedbackEffect({ status: 429 })).toEqual({ refund: 1, pauseMs: 1_000 });
    expect(feedbackEffect({ status: 429, retryAfterMs: 10_000_000 })).toEqual({ refund: 1, pauseMs: 120_000 });
    expect(feedbackEffect({ status: 200 })).toEqual({ refund: 0 });
    expect(feedbackEffect({ status: 200, remaining: 0, resetMs: 2_000 })).toEqual({ refund: 0, remaining: 0 });
    expect(feedbackEffect({ status: 429, resetMs: 2_000 })).toEqual({ refund: 1, pauseMs: 2_000 });
  });
});
