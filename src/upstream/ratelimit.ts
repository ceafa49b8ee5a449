/**
 * A process-wide cap on upstream requests: one request every `1000 / rate` ms (plus a 1 % guard),
 * released by a timer on the actual clock. Evenly spaced grants keep every one-second span at or
 * under the cap even when the event loop or the network delays a request a little — a token
 * bucket's bursts let almost twice the rate through across a refill, and bunch up under jitter.
 * Waiters are served in the order they asked; an aborted waiter leaves the queue.
 */
export interface RateLimiter {
  /** Resolves when a request may go out; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/** Fraction added to every interval: timers and sockets can bring two requests slightly closer. */
export const RATE_GUARD = 0.01;

/** Gap between two grants for `ratePerSecond`, ms (with `guard`, default {@link RATE_GUARD}). */
export function rateInterval(ratePerSecond: number, guard = RATE_GUARD): number {
  if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  return (1000 / ratePerSecond) * (1 + guard);
}

/** One caller waiting for a grant. */
export interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Queues a caller in `waiting` (FIFO) and returns its promise; an abort of `signal` removes it
 * from the queue and rejects with the signal's reason. `wake` runs after it is queued.
 */
export function enqueueWaiter(waiting: Waiter[], signal: AbortSignal | undefined, wake: () => void): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const w: Waiter = { resolve, reject, signal };
    if (signal) {
      w.onAbort = () => {
        const i = waiting.indexOf(w);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    waiting.push(w);
    wake();
  });
}

/** Grants a waiter taken off the queue. */
export function releaseWaiter(w: Waiter): void {
  if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
  w.resolve();
}

export function createRateLimiter(options: { ratePerSecond: number; now?: () => number; guard?: number }): RateLimiter {
  const now = options.now ?? Date.now;
  const intervalMs = rateInterval(options.ratePerSecond, options.guard);
  let last = Number.NEGATIVE_INFINITY;
  const waiting: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const pump = (): void => {
    timer = undefined;
    while (waiting.length > 0) {
      const t = now();
      if (t - last < intervalMs) {
        timer = setTimeout(pump, Math.max(1, Math.ceil(last + intervalMs - t)));
        return;
      }
      last = t;
      releaseWaiter(waiting.shift()!);
    }
  };

  return {
    acquire(signal) {
      return enqueueWaiter(waiting, signal, () => {
        if (!timer) pump();
      });
    },
  };
}

// ---- documented token buckets (issue 10) ----------------------------------------------------

/** One documented budget: `ratePerSecond` refills a bucket that holds at most `burst` requests. */
export interface BucketBudget {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** toapis' documented rate-limit groups (upstream/toapis-vidu.md §8), per account. */
export const RATE_GROUPS = {
  default: { submit: { ratePerSecond: 5, burst: 50 }, query: { ratePerSecond: 50, burst: 500 } },
  vip: { submit: { ratePerSecond: 16.7, burst: 167 }, query: { ratePerSecond: 166.7, burst: 1_667 } },
  svip: { submit: { ratePerSecond: 33.3, burst: 334 }, query: { ratePerSecond: 500, burst: 5_000 } },
} as const satisfies Record<string, { submit: BucketBudget; query: BucketBudget }>;

/** Name of a {@link RATE_GROUPS} entry (`TOAPIS_RATE_GROUP`). */
export type RateGroup = keyof typeof RATE_GROUPS;

/**
 * Uploads are not in the documented buckets; they keep a modest cap of their own (even spacing,
 * per process share), requests per second.
 */
export const UPLOAD_RATE_PER_SECOND = 5;

/** What one upstream answer said about the budget it was charged to. */
export interface RateFeedback {
  /** HTTP status of the answer. */
  status: number;
  /** `Retry-After`, ms from now. */
  retryAfterMs?: number;
  /** `X-RateLimit-Remaining`: requests left in the upstream's bucket. */
  remaining?: number;
  /** `X-RateLimit-Reset`, ms from now until the upstream's bucket refills. */
  resetMs?: number;
}

/** A limiter the client also tells what the upstream answered (429s, remaining budget). */
export interface FeedbackRateLimiter extends RateLimiter {
  /** Adjusts the bucket to the upstream's own view: pause, give back a refused request's token. */
  feedback(info: RateFeedback): void;
}

/**
 * What a {@link RateFeedback} changes in a bucket, as pure data: a 429 gives its token back (a
 * refused request does not consume upstream budget, so it does not consume ours) and pauses the
 * bucket until `Retry-After` (or the reset; 1 s when neither came, at most 120 s); a `Remaining` below our own count lowers it (another user of the account
 * spent it). Only a 429 pauses: `Remaining: 0` empties the bucket, whose own refill then says
 * when the next token comes (a whole-second `Reset` would stall a 5/s bucket).
 */
export function feedbackEffect(info: RateFeedback): { refund: number; remaining?: number; pauseMs?: number } {
  const out: { refund: number; remaining?: number; pauseMs?: number } = { refund: 0 };
  if (info.remaining !== undefined && Number.isFinite(info.remaining) && info.remaining >= 0) out.remaining = info.remaining;
  if (info.status === 429) {
    out.refund = 1;
    out.pauseMs = info.retryAfterMs ?? info.resetMs ?? 1_000;
  }
  if (out.pauseMs !== undefined) out.pauseMs = Math.max(0, Math.min(out.pauseMs, 120_000));
  return out;
}

/** Options of {@link createTokenBucket}. */
export interface TokenBucketOptions extends BucketBudget {
  now?: () => number;
  /** Fraction taken off the refill rate (our clock and the upstream's differ a little). Default {@link RATE_GUARD}. */
  guard?: number;
}

/**
 * A token bucket in this process: starts full (`burst` tokens), refills `ratePerSecond` (less
 * the guard) on the real clock, one token per request. Waiters are served in order; an aborted
 * waiter leaves the queue. {@link FeedbackRateLimiter.feedback} applies {@link feedbackEffect}.
 */
export function createTokenBucket(options: TokenBucketOptions): FeedbackRateLimiter & { readonly tokens: number } {
  if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new RangeError('ratePerSecond must be positive and burst at least 1');
  const now = options.now ?? Date.now;
  const perMs = options.ratePerSecond / 1000 / (1 + (options.guard ?? RATE_GUARD));
  const burst = options.burst;
  let tokens = burst;
  let at = now();
  let pausedUntil = 0;
  const waiting: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const refill = (): number => {
    const t = now();
    tokens = Math.min(burst, tokens + Math.max(0, t - at) * perMs);
    at = t;
    return t;
  };

  const arm = (ms: number): void => {
    timer = setTimeout(pump, Math.max(1, Math.ceil(ms)));
  };

  function pump(): void {
    timer = undefined;
    while (waiting.length > 0) {
      const t = refill();
      if (pausedUntil > t) return arm(pausedUntil - t);
      if (tokens < 1) return arm((1 - tokens) / perMs);
      tokens -= 1;
      releaseWaiter(waiting.shift()!);
    }
  }

  return {
    get tokens() {
      refill();
      return tokens;
    },
    acquire(signal) {
      return enqueueWaiter(waiting, signal, () => {
        if (!timer) pump();
      });
    },
    feedback(info) {
      const effect = feedbackEffect(info);
      const t = refill();
      // The upstream's count first, then the token a refused request did not use.
      if (effect.remaining !== undefined) tokens = Math.min(tokens, effect.remaining);
      tokens = Math.min(burst, tokens + effect.refund);
      if (effect.pauseMs !== undefined) pausedUntil = Math.max(pausedUntil, t + effect.pauseMs);
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (waiting.length > 0) pump();
    },
  };
}
