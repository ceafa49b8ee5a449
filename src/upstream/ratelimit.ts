/**
 * A process-wide cap on upstream requests: a token bucket of `ratePerSecond` with a burst of
 * the same size. `acquire` resolves when a request may go out, in arrival order.
 */
export function createRateLimiter(options: { ratePerSecond: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const capacity = Math.max(1, options.ratePerSecond);
  const intervalMs = 1000 / options.ratePerSecond;
  let tokens = capacity;
  let refilledAt = now();
  let chain: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(capacity, tokens + (t - refilledAt) / intervalMs);
    refilledAt = t;
  };

  const take = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      signal?.throwIfAborted();
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil((1 - tokens) * intervalMs)));
    }
  };

  return {
    /** Waits for a slot; requests are served in the order they asked. */
    acquire(signal?: AbortSignal): Promise<void> {
      const turn = chain.then(() => take(signal));
      chain = turn.catch(() => undefined);
      return turn;
    },
  };
}
