/**
 * The documented upstream budgets shared by every process (shard) through Redis: a token bucket
 * ({@link createTokenBucket}'s rules) whose tokens, refill time and pause live in one Redis hash,
 * updated by Lua scripts on Redis's own clock — no two processes can spend the same token, and
 * their clocks never matter. Inside a process, waiters queue in order and only the head asks Redis.
 *
 * When Redis does not answer (down, paused, slower than `callTimeoutMs`), the request is let
 * through a local `fallback` bucket instead — give it this process's share of the budget.
 */
import { createClient } from '@redis/client';
import type { Logger } from '../log.js';
import { RATE_GUARD, enqueueWaiter, feedbackEffect, releaseWaiter, type BucketBudget, type FeedbackRateLimiter, type Waiter } from './ratelimit.js';

/** Refills the hash in KEYS[1] to Redis's TIME; shared head of both scripts. ARGV[1] tokens/µs, ARGV[2] burst. */
const REFILL_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused')
local tokens = tonumber(h[1]) or burst
local at = tonumber(h[2]) or now
local paused = tonumber(h[3]) or 0
if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'paused', tostring(paused))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate / 1000) + 60000)
end
`;

/** Takes one token. Returns {1, nowUs} or {0, waitUs}. */
const TAKE_LUA = `${REFILL_LUA}
if paused > now then save() return {0, paused - now} end
if tokens >= 1 then tokens = tokens - 1 save() return {1, now} end
save()
return {0, math.ceil((1 - tokens) / rate)}
`;

/** ARGV[3] tokens to give back, ARGV[4] upstream's remaining (-1: none), ARGV[5] pause µs (0: none). */
const FEEDBACK_LUA = `${REFILL_LUA}
local remaining = tonumber(ARGV[4])
if remaining >= 0 then tokens = math.min(tokens, remaining) end
tokens = math.min(burst, tokens + tonumber(ARGV[3]))
local pause = tonumber(ARGV[5])
if pause > 0 then paused = math.max(paused, now + pause) end
save()
return 1
`;

/** Default Redis key prefix of the shared buckets (`…:submit`, `…:query`). */
export const REDIS_BUCKET_PREFIX = 'vidu:upstream:bucket';

/** The Redis calls the limiter needs (a real `@redis/client` client, or a test double). */
export interface RedisScripting {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
}

export interface RedisTokenBucketOptions extends BucketBudget {
  /** Redis connection (the limiter owns it and closes it) … */
  url?: string;
  /** … or a client someone else owns. */
  client?: RedisScripting;
  /** Key of the shared bucket; every process that shares the budget uses the same one. */
  key: string;
  /** Used for a request whose Redis call failed. */
  fallback: FeedbackRateLimiter;
  /** A Redis call slower than this falls back, ms. Default 1000. */
  callTimeoutMs?: number;
  /** Fraction taken off the refill rate. Default {@link RATE_GUARD}. */
  guard?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Called with the grant time Redis assigned (µs on Redis's clock); for tests and metrics. */
  onGrant?(grantedAtUs: number): void;
}

export interface RedisTokenBucket extends FeedbackRateLimiter {
  close(): Promise<void>;
}

class RedisCallTimeout extends Error {
  override name = 'RedisCallTimeout';
}

/** Connects (when given a URL) and returns the bucket; rejects when Redis cannot be reached. */
export async function createRedisTokenBucket(options: RedisTokenBucketOptions): Promise<RedisTokenBucket> {
  const callTimeoutMs = options.callTimeoutMs ?? 1_000;
  const perUs = options.ratePerSecond / 1_000_000 / (1 + (options.guard ?? RATE_GUARD));
  const base = [String(perUs), String(options.burst)];

  let owned: ReturnType<typeof createClient> | undefined;
  let client: RedisScripting;
  if (options.client) {
    client = options.client;
  } else {
    if (!options.url) throw new TypeError('createRedisTokenBucket needs url or client');
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

  const shas = { take: await client.scriptLoad(TAKE_LUA), feedback: await client.scriptLoad(FEEDBACK_LUA) };
  const sources = { take: TAKE_LUA, feedback: FEEDBACK_LUA };
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

  const call = async (script: 'take' | 'feedback', args: string[]): Promise<unknown> => {
    try {
      return await withTimeout(client.evalSha(shas[script], { keys: [options.key], arguments: args }));
    } catch (err) {
      // After a Redis restart (or SCRIPT FLUSH) the script must be loaded again.
      if (!(err instanceof Error) || !/NOSCRIPT/.test(err.message)) throw err;
      shas[script] = await withTimeout(client.scriptLoad(sources[script]));
      return withTimeout(client.evalSha(shas[script], { keys: [options.key], arguments: args }));
    }
  };

  const warn = (err: unknown): void => {
    if (Date.now() - warnedAt > 30_000) {
      warnedAt = Date.now();
      options.logger?.warn({ err }, 'shared upstream rate limit unavailable; using this process’s share');
    }
  };

  /** One attempt at a token: granted, or how long to wait (ms). */
  const ask = async (): Promise<{ granted: true } | { granted: false; waitMs: number }> => {
    const reply = await call('take', base);
    const [ok, value] = (reply as [number | string, number | string]).map(Number) as [number, number];
    if (ok === 1) {
      options.onGrant?.(value);
      return { granted: true };
    }
    return { granted: false, waitMs: Math.max(1, Math.ceil(value / 1000)) };
  };

  const viaFallback = (w: Waiter): void => {
    options.fallback.acquire(w.signal).then(
      () => releaseWaiter(w),
      (reason: unknown) => w.reject(reason),
    );
  };

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
          warn(err);
          viaFallback(head);
          continue;
        }
        if (answer.granted) {
          // The head may have aborted while Redis answered: the token then goes unused.
          const head = waiting.shift();
          if (head) releaseWaiter(head);
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
    feedback(info) {
      options.fallback.feedback(info);
      const effect = feedbackEffect(info);
      if (closed || (effect.refund === 0 && effect.remaining === undefined && effect.pauseMs === undefined)) return;
      const args = [...base, String(effect.refund), String(effect.remaining ?? -1), String(Math.round((effect.pauseMs ?? 0) * 1000))];
      void call('feedback', args).catch(warn);
    },
    async close() {
      closed = true;
      // Whoever still waits goes through the local share rather than hanging.
      for (const w of waiting.splice(0)) viaFallback(w);
      if (owned) await owned.close().catch(() => owned.destroy());
    },
  };
}
