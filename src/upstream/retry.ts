/**
 * Retry policy for toapis requests, as pure functions (no I/O, no clock): which failures are
 * worth another attempt, and how long to wait before it.
 */
import { UpstreamError, UpstreamHttpError, UpstreamNetworkError, UpstreamRateLimitError, UpstreamServerError, UpstreamTimeoutError } from './errors.js';

/** What kind of request failed; each has its own budget in {@link RETRY_DEFAULTS}. */
export type RetryOp = 'submit' | 'read' | 'upload';

/** Retry and timeout budget of one {@link RetryOp}. */
export interface RetryBudget {
  /** Retries after the first attempt (so attempts = maxRetries + 1). */
  readonly maxRetries: number;
  /** Backoff ceiling of the first retry, in ms; doubles per retry. */
  readonly baseMs: number;
  /**
   * Longest single wait, in ms. A `Retry-After` longer than this is not waited out in place:
   * the request gives up with the error, which carries it (see {@link backoffMs}).
   */
  readonly capMs: number;
  /** Per-attempt request timeout (headers and body), in ms. */
  readonly timeoutMs: number;
}

/**
 * Default budgets. A submit can create a paid task, so it retries least (2); status reads
 * are free and retry most (4); uploads retry 3 times and get 60 s per attempt for 10 MB bodies.
 * Waits start at 500 ms and are capped at 30 s.
 */
export const RETRY_DEFAULTS = {
  submit: { maxRetries: 2, baseMs: 500, capMs: 30_000, timeoutMs: 30_000 },
  read: { maxRetries: 4, baseMs: 500, capMs: 30_000, timeoutMs: 30_000 },
  upload: { maxRetries: 3, baseMs: 500, capMs: 30_000, timeoutMs: 60_000 },
} as const satisfies Record<RetryOp, RetryBudget>;

/**
 * The retry waits of every op compressed by `scale` (`VIDU_TIME_SCALE` < 1 in tests and
 * benchmarks), never below 1 ms; retry counts and timeouts stay as they are.
 */
export function scaledRetryBudgets(scale: number): { [op in RetryOp]: Pick<RetryBudget, 'baseMs' | 'capMs'> } {
  const scaled = (b: RetryBudget) => ({ baseMs: Math.max(1, b.baseMs * scale), capMs: Math.max(1, b.capMs * scale) });
  return { submit: scaled(RETRY_DEFAULTS.submit), read: scaled(RETRY_DEFAULTS.read), upload: scaled(RETRY_DEFAULTS.upload) };
}

/**
 * 429s retried per request, on top of {@link RetryBudget.maxRetries}: a 429 is the upstream's
 * budget at work (it costs nothing and the limiter pauses for its `Retry-After`).
 */
export const RATE_LIMITED_RETRIES = 8;

/**
 * Retries of a submit answered `503 rate_limit_unavailable` (the upstream's submit limiter is
 * down), with exponential backoff: 0.5 s … 16 s ceilings, about half a minute in all.
 */
export const LIMITER_DOWN_RETRIES = 6;

/** Node/undici error codes of transient connection failures. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
]);

/** `err`, then `err.cause`, `err.cause.cause`… (at most 8 levels, cycles stop early). */
function* causeChain(err: unknown): Generator<unknown, void> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null && !seen.has(current); depth++) {
    seen.add(current);
    yield current;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
}

function nameOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : undefined;
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined;
}

/** Whether `err` (or anything in its cause chain) is an abort the caller asked for. */
export function isAbortError(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (nameOf(e) === 'AbortError' || codeOf(e) === 'ABORT_ERR' || codeOf(e) === 'UND_ERR_ABORTED') return true;
  }
  return false;
}

/**
 * Whether another attempt of the same request may succeed.
 *
 * - Retryable: 429 ({@link UpstreamRateLimitError}), 5xx ({@link UpstreamServerError}),
 *   our timeout ({@link UpstreamTimeoutError}), connection failures
 *   ({@link UpstreamNetworkError}), 408, and raw errors whose cause chain carries a transient
 *   undici/Node code (`UND_ERR_SOCKET`, `ECONNRESET`, `ECONNREFUSED`, `UND_ERR_*_TIMEOUT`…).
 * - Never retryable: 400/401/403/402/404/422, invalid responses, other statuses, and any
 *   `AbortError` — the caller's own signal means "stop", not "try again".
 *
 * The rules are the same for every `op`; ops differ in budget ({@link RETRY_DEFAULTS}).
 * For `submit` this is deliberate: a timeout or reset after the request left may already have
 * created a paid task. Retrying is still safe ONLY because every submit carries
 * `client_business_id`, which toapis treats as an idempotency key and answers with the
 * existing task (upstream/toapis-vidu.md §6). A submit without it must not be retried.
 * A repeated `upload` can at worst store the same image twice, which costs nothing.
 */
export function isRetryable(err: unknown, _op: RetryOp): boolean {
  if (isAbortError(err)) return false;
  if (err instanceof UpstreamError) {
    if (
      err instanceof UpstreamRateLimitError ||
      err instanceof UpstreamServerError ||
      err instanceof UpstreamTimeoutError ||
      err instanceof UpstreamNetworkError
    ) {
      return true;
    }
    return err instanceof UpstreamHttpError && err.status === 408;
  }
  for (const e of causeChain(err)) {
    const code = codeOf(e);
    if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
    if (nameOf(e) === 'TimeoutError') return true;
  }
  return false;
}

/** Inputs of {@link backoffMs}. */
export interface BackoffOptions {
  /** Ceiling of the first retry's wait, in ms. Default 500. */
  baseMs?: number;
  /** Longest computed wait, in ms (it does not shorten a `retryAfterMs`). Default 30 000. */
  capMs?: number;
  /**
   * Random share of the wait, 0–1: the wait is uniform in `[ceiling·(1 − jitter), ceiling]`.
   * 1 (default) is full jitter, `[0, ceiling]`; 0.5 never retries sooner than half the ceiling.
   */
  jitter?: number;
  /** The server's `Retry-After`, in ms; when present it takes the place of the random part. */
  retryAfterMs?: number;
  /** Uniform random number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * How long to wait before retry number `attempt` (0 = the first retry), in ms. The one backoff
 * policy of the bot, used by the upstream client's retries and the engine's step retries
 * (`retryDelayMs` in src/tasks/schedule.ts):
 *
 * - Exponential backoff with jitter: `ceiling = min(capMs, baseMs · 2^attempt)`, the wait
 *   uniform in `[floor, ceiling]` with `floor = ceiling · (1 − jitter)`, rounded to whole ms.
 * - When the server said when to come back (`Retry-After`, as `retryAfterMs`), that takes the
 *   place of the random part: the wait is `max(floor, retryAfterMs)`. So a Retry-After is
 *   honoured in full — never cut short by `capMs` — and only a policy with a floor (jitter < 1)
 *   waits longer. A caller that cannot wait that long in place (the upstream client's inline
 *   retries, beyond `capMs`) stops retrying and hands the error, which carries the Retry-After,
 *   to the engine, which waits it out from the store.
 */
export function backoffMs(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? RETRY_DEFAULTS.read.baseMs;
  const capMs = options.capMs ?? RETRY_DEFAULTS.read.capMs;
  const jitter = Math.min(Math.max(options.jitter ?? 1, 0), 1);
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(exponent, 30));
  const spread = ceiling * jitter;
  if (options.retryAfterMs !== undefined && Number.isFinite(options.retryAfterMs)) {
    return Math.max(Math.round(ceiling - spread), Math.round(options.retryAfterMs));
  }
  const r = Math.min(Math.max((options.random ?? Math.random)(), 0), 1);
  return Math.round(ceiling - spread + r * spread);
}
