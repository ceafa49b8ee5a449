import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RATE_GUARD, createRateLimiter, rateInterval } from '../../src/upstream/ratelimit.js';

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
