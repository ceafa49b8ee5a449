import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTokenBucket, type RedisTokenBucket } from '../../src/upstream/ratelimit-redis.js';
import { RATE_GUARD, type FeedbackRateLimiter } from '../../src/upstream/ratelimit.js';
import { startPrivateRedis } from '../support/redis.js';

/**
 * Keys of this run only (no FLUSHDB): the test shares the REDIS_URL database with nothing else it
 * could disturb, and never reads another run's buckets.
 */
const run = randomBytes(4).toString('hex');
const keyOf = (name: string) => `test:${run}:${name}`;

/** A fallback that counts what it let through (and lets everything through). */
function countingFallback(): FeedbackRateLimiter & { count: number; feedbacks: number } {
  const f = {
    count: 0,
    feedbacks: 0,
    acquire: async () => {
      f.count++;
    },
    feedback: () => {
      f.feedbacks++;
    },
  };
  return f;
}

describe.skipIf(!process.env.REDIS_URL)('createRedisTokenBucket (real Redis)', () => {
  const admin = createClient({ url: process.env.REDIS_URL });
  const open: RedisTokenBucket[] = [];

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    const keys = await admin.keys(`test:${run}:*`);
    if (keys.length > 0) await admin.del(keys);
    await admin.close();
  });

  const make = async (key: string, ratePerSecond: number, burst: number, fallback = countingFallback(), onGrant?: (us: number) => void) => {
    const bucket = await createRedisTokenBucket({ url: process.env.REDIS_URL, key, ratePerSecond, burst, fallback, ...(onGrant ? { onGrant } : {}) });
    open.push(bucket);
    return bucket;
  };

  it('two connections (two processes) share one bucket: the burst once, then the rate, on Redis’s clock', async () => {
    const key = keyOf('shared');
    const rate = 20;
    const burst = 10;
    const grantsUs: number[] = [];
    const byProcess = [0, 0];
    const fallback = countingFallback();
    const [a, b] = await Promise.all(
      [0, 1].map((n) =>
        make(key, rate, burst, fallback, (us) => {
          grantsUs.push(us);
          byProcess[n]!++;
        }),
      ),
    );
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a! : b!).acquire()));
    const tookMs = Date.now() - startedAt;

    expect(fallback.count).toBe(0);
    expect(grantsUs).toHaveLength(40);
    const sorted = [...grantsUs].sort((x, y) => x - y);
    // In any span, at most burst + rate × span grants (with the guard, a little fewer).
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i; j < sorted.length; j++) {
        const spanS = (sorted[j]! - sorted[i]!) / 1e6;
        expect(j - i + 1).toBeLessThanOrEqual(Math.floor(burst + rate * spanS) + 1);
      }
    }
    expect(byProcess[0]).toBeGreaterThan(0);
    expect(byProcess[1]).toBeGreaterThan(0);
    // 30 requests past the burst at 20/s: at least 1.5 s.
    expect(tookMs).toBeGreaterThanOrEqual(((40 - burst) / rate) * (1 + RATE_GUARD) * 1000 - 100);
    expect(await admin.pTTL(key)).toBeGreaterThan(0);
  });

  it('a 429 seen by one process pauses the other for Retry-After, and its token is given back', async () => {
    const key = keyOf('pause');
    const fallback = countingFallback();
    const a = await make(key, 100, 5, fallback);
    const b = await make(key, 100, 5, fallback);
    for (let i = 0; i < 5; i++) await a.acquire();
    const before = Number(await admin.hGet(key, 'tokens'));
    a.feedback({ status: 429, retryAfterMs: 600 });
    // The feedback script runs asynchronously; wait for its pause to land.
    const deadline = Date.now() + 2_000;
    while (Number((await admin.hGet(key, 'paused')) ?? 0) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(Number(await admin.hGet(key, 'tokens'))).toBeGreaterThan(before);
    const asked = Date.now();
    await b.acquire();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(450);
    expect(fallback.feedbacks).toBe(1);
    expect(fallback.count).toBe(0);
  });

  it('loads its scripts again after Redis forgot them (SCRIPT FLUSH, restart)', async () => {
    const fallback = countingFallback();
    const key = keyOf('noscript');
    const limiter = await make(key, 5, 5, fallback);
    await limiter.acquire();
    await admin.scriptFlush();
    await limiter.acquire();
    expect(fallback.count).toBe(0);
    expect(Number(await admin.hGet(key, 'tokens'))).toBeLessThan(4);
  });

  it('an aborted waiter leaves the queue without taking a token', async () => {
    const key = keyOf('abort');
    const limiter = await make(key, 0.5, 1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new DOMException('gone', 'AbortError'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    const before = await admin.hGet(key, 'at');
    await new Promise((r) => setTimeout(r, 300));
    expect(await admin.hGet(key, 'at')).toBe(before);
  });

  it('falls back to the local share while Redis does not answer, and uses Redis again after', async () => {
    const redis = await startPrivateRedis();
    const fallback = countingFallback();
    const warnings: string[] = [];
    const limiter = await createRedisTokenBucket({
      url: redis.url,
      key: 'bucket',
      ratePerSecond: 5,
      burst: 5,
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
