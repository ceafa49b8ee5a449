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
