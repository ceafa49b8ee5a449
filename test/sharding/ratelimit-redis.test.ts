import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, REDIS_RATE_KEY, type RedisRateLimiter } from '../../src/upstream/ratelimit-redis.js';
import { rateInterval, type RateLimiter } from '../../src/upstream/ratelimit.js';
import { startPrivateRedis } from '../support/redis.js';

/** DB 12 of the CI server (14 and 15 belong to other suites), emptied first. */
function redisUrl(): string {
  const url = new URL(process.env.REDIS_URL!);
  url.pathname = '/12';
  return url.toString();
}

/** A fallback that counts what it let through (and lets everything through). */
function countingFallback(): RateLimiter & { count: number } {
  const f = {
    count: 0,
    acquire: async () => {
      f.count++;
    },
  };
  return f;
}

describe.skipIf(!process.env.REDIS_URL)('createRedisRateLimiter (real Redis, DB 12)', () => {
  const admin = createClient({ url: process.env.REDIS_URL ? redisUrl() : undefined });
  const open: RedisRateLimiter[] = [];

  beforeAll(async () => {
    await admin.connect();
    await admin.flushDb();
  });
  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    await admin.close();
  });

  it('two processes’ limiters share one cap: grants evenly spaced on Redis’s clock, never more than the cap per second', async () => {
    const key = 'test:shared-window';
    const grantsUs: number[] = [];
    const byProcess = [0, 0];
    const fallback = countingFallback();
    const make = (n: number) =>
      createRedisRateLimiter({
        url: redisUrl(),
        key,
        ratePerSecond: 20,
        fallback,
        onGrant: (us) => {
          grantsUs.push(us);
          byProcess[n]!++;
        },
      });
    const [a, b] = await Promise.all([make(0), make(1)]);
    open.push(a, b);
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).acquire()));
    const tookMs = Date.now() - startedAt;

    expect(fallback.count).toBe(0);
    expect(grantsUs).toHaveLength(60);
    const sorted = [...grantsUs].sort((x, y) => x - y);
    // One grant per interval across both: no two closer than 1/20 s (+ guard), so never more
    // than 20 in any second.
    const intervalUs = Math.ceil(rateInterval(20) * 1_000);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(intervalUs);
    for (let i = 0; i + 20 < sorted.length; i++) expect(sorted[i + 20]! - sorted[i]!).toBeGreaterThan(1_000_000);
    expect(byProcess).toEqual([30, 30]);
    expect(tookMs).toBeGreaterThanOrEqual(59 * rateInterval(20) - 50);
    // The key holds the last grant and expires on its own.
    expect(Number(await admin.get(key))).toBe(sorted.at(-1));
    expect(await admin.pTTL(key)).toBeGreaterThan(0);
  });

  it('uses the default key when none is given', async () => {
    const limiter = await createRedisRateLimiter({ url: redisUrl(), ratePerSecond: 5, fallback: countingFallback() });
    open.push(limiter);
    await limiter.acquire();
    expect(Number(await admin.get(REDIS_RATE_KEY))).toBeGreaterThan(0);
  });

  it('loads its script again after Redis forgot it (SCRIPT FLUSH, restart)', async () => {
    const fallback = countingFallback();
    const limiter = await createRedisRateLimiter({ url: redisUrl(), key: 'test:noscript', ratePerSecond: 5, fallback });
    open.push(limiter);
    await limiter.acquire();
    await admin.scriptFlush();
    await limiter.acquire();
    expect(fallback.count).toBe(0);
    expect(await admin.exists('test:noscript')).toBe(1);
  });

  it('an aborted waiter leaves the queue', async () => {
    const fallback = countingFallback();
    const limiter = await createRedisRateLimiter({ url: redisUrl(), key: 'test:abort', ratePerSecond: 1, fallback });
    open.push(limiter);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new DOMException('gone', 'AbortError'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    const first = await admin.get('test:abort');
    // Only the first acquire took a slot.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await admin.get('test:abort')).toBe(first);
  });

  it('falls back to the local share while Redis does not answer, and uses Redis again after', async () => {
    const redis = await startPrivateRedis();
    const fallback = countingFallback();
    const warnings: string[] = [];
    const limiter = await createRedisRateLimiter({
      url: redis.url,
      ratePerSecond: 5,
      fallback,
      callTimeoutMs: 200,
      logger: { warn: (_o: object, msg?: string) => void warnings.push(String(msg)), info: () => undefined },
    });
    try {
      await limiter.acquire();
      expect(fallback.count).toBe(0);
      redis.pause();
      await limiter.acquire();
      expect(fallback.count).toBe(1);
      expect(warnings).toEqual(['shared upstream rate limit unavailable; using this process’s share']);
      redis.resume();
      // The timed-out call may still be answered late; the next ones go through Redis again.
      await new Promise((r) => setTimeout(r, 100));
      await limiter.acquire();
      expect(fallback.count).toBe(1);
    } finally {
      redis.resume();
      await limiter.close();
      await redis.close();
    }
  });
});
