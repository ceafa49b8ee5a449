/**
 * The upstream request cap shared by every process (shard) through Redis: the same even spacing
 * as {@link createRateLimiter} (one grant every `1000 / rate` ms), with the last grant's time in
 * one Redis key, decided by a Lua script on Redis's own clock — no two processes can take the
 * same slot, and their clocks never matter. Inside a process, waiters queue in order and only
 * the head asks Redis.
 *
 * When Redis does not answer (down, paused, slower than `callTimeoutMs`), the request is let
 * through a local `fallback` limiter instead — give it this process's share of the cap.
 */
import { createClient } from '@redis/client';
import type { Logger } from '../log.js';
import { enqueueWaiter, rateInterval, releaseWaiter, type RateLimiter, type Waiter } from './ratelimit.js';

/**
 * KEYS[1]: time of the last grant (µs, Redis clock). ARGV[1]: interval µs.
 * Returns {1, grantedAtUs} or {0, waitUs}.
 */
const ACQUIRE_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local last = redis.call('GET', KEYS[1])
if last and (now - tonumber(last)) < interval then
  return {0, tonumber(last) + interval - now}
end
redis.call('SET', KEYS[1], now, 'PX', math.ceil(interval / 1000) + 1000)
return {1, now}
`;

/** Default Redis key of the shared cap. */
export const REDIS_RATE_KEY = 'vidu:upstream:last-grant';

/** The Redis calls the limiter needs (a real `@redis/client` client, or a test double). */
export interface RedisScripting {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
}

export interface RedisRateLimiterOptions {
  /** Redis connection (the limiter owns it and closes it) … */
  url?: string;
  /** … or a client someone else owns. */
  client?: RedisScripting;
  ratePerSecond: number;
  /** Key of the shared cap; every process that shares the cap uses the same one. */
  key?: string;
  /** Used for a request whose Redis call failed. */
  fallback: RateLimiter;
  /** A Redis call slower than this falls back, ms. Default 1000. */
  callTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Called with the grant time Redis assigned (µs on Redis's clock); for tests and metrics. */
  onGrant?(grantedAtUs: number): void;
}

export interface RedisRateLimiter extends RateLimiter {
  close(): Promise<void>;
}


class RedisCallTimeout extends Error {
  override name = 'RedisCallTimeout';
}

/** Connects (when given a URL) and returns the limiter; rejects when Redis cannot be reached. */
export async function createRedisRateLimiter(options: RedisRateLimiterOptions): Promise<RedisRateLimiter> {
  const key = options.key ?? REDIS_RATE_KEY;
  const callTimeoutMs = options.callTimeoutMs ?? 1_000;
  const args = [String(Math.ceil(rateInterval(options.ratePerSecond) * 1000))];

  let owned: ReturnType<typeof createClient> | undefined;
  let client: RedisScripting;
  if (options.client) {
    client = options.client;
  } else {
    if (!options.url) throw new TypeError('createRedisRateLimiter needs url or client');
    owned = createClient({
      url: options.url,
      socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(2_000, 50 * 2 ** retries) },
      disableOfflineQueue: true,
    });
    // Without a listener an 'error' event would crash the process; failures surface per call.
    owned.on('error', () => undefined);
    await owned.connect();
    client = owned;
  }

  let sha = await client.scriptLoad(ACQUIRE_LUA);
  const waiting: Waiter[] = [];
  let pumping = false;
  let closed = false;
  let warnedAt = 0;

  const withTimeout = <T>(p: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisCallTimeout(`redis did not answer in ${callTimeoutMs} ms`)), callTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  /** One attempt at a slot: granted, or how long to wait (ms). */
  const ask = async (): Promise<{ granted: true } | { granted: false; waitMs: number }> => {
    let reply: unknown;
    try {
      reply = await withTimeout(client.evalSha(sha, { keys: [key], arguments: args }));
    } catch (err) {
      // After a Redis restart (or SCRIPT FLUSH) the script must be loaded again.
      if (!(err instanceof Error) || !/NOSCRIPT/.test(err.message)) throw err;
      sha = await withTimeout(client.scriptLoad(ACQUIRE_LUA));
      reply = await withTimeout(client.evalSha(sha, { keys: [key], arguments: args }));
    }
    const [ok, value] = (reply as [number | string, number | string]).map(Number) as [number, number];
    if (ok === 1) {
      options.onGrant?.(value);
      return { granted: true };
    }
    return { granted: false, waitMs: Math.max(1, Math.ceil(value / 1000)) };
  };

  const release = releaseWaiter;

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiting.length > 0 && !closed) {
        let answer: Awaited<ReturnType<typeof ask>>;
        try {
          answer = await ask();
        } catch (err) {
          const head = waiting.shift();
          if (!head) continue;
          if (Date.now() - warnedAt > 30_000) {
            warnedAt = Date.now();
            options.logger?.warn({ err }, 'shared upstream rate limit unavailable; using this process’s share');
          }
          options.fallback.acquire(head.signal).then(
            () => release(head),
            (reason: unknown) => head.reject(reason),
          );
          continue;
        }
        if (answer.granted) {
          // The head may have aborted while Redis answered: the slot then goes unused.
          const head = waiting.shift();
          if (head) release(head);
        } else {
          await new Promise((resolve) => setTimeout(resolve, answer.waitMs));
        }
      }
    } finally {
      pumping = false;
    }
  };

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (closed) return options.fallback.acquire(signal);
      return enqueueWaiter(waiting, signal, () => void pump());
    },
    async close() {
      closed = true;
      // Whoever still waits goes through the local share rather than hanging.
      for (const w of waiting.splice(0)) {
        options.fallback.acquire(w.signal).then(
          () => release(w),
          (reason: unknown) => w.reject(reason),
        );
      }
      if (owned) await owned.close().catch(() => owned.destroy());
    },
  };
}
