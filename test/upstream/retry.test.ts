import { describe, expect, it } from 'vitest';
import {
  parseRetryAfter,
  UpstreamAuthError,
  UpstreamBadRequestError,
  UpstreamContentRefusedError,
  UpstreamHttpError,
  UpstreamInsufficientCreditsError,
  UpstreamInvalidResponseError,
  UpstreamNetworkError,
  UpstreamNotFoundError,
  UpstreamRateLimitError,
  UpstreamServerError,
  UpstreamTimeoutError,
} from '../../src/upstream/errors.js';
import { backoffMs, isRetryable, RETRY_DEFAULTS, type RetryOp } from '../../src/upstream/retry.js';

const init = { requestPath: '/v1/videos/generations' };
const coded = (code: string) => Object.assign(new Error(code), { code });
const abortError = () => new DOMException('This operation was aborted', 'AbortError');

const ops: RetryOp[] = ['submit', 'read', 'upload'];

const cases: [string, unknown, boolean][] = [
  ['400 bad request', new UpstreamBadRequestError({ ...init, status: 400 }), false],
  ['401 auth', new UpstreamAuthError({ ...init, status: 401 }), false],
  ['403 auth', new UpstreamAuthError({ ...init, status: 403 }), false],
  ['402 credits', new UpstreamInsufficientCreditsError({ ...init, status: 402 }), false],
  ['404 not found', new UpstreamNotFoundError({ ...init, status: 404 }), false],
  ['422 content refused', new UpstreamContentRefusedError({ ...init, status: 422 }), false],
  ['invalid response', new UpstreamInvalidResponseError({ ...init, status: 200, reason: 'x' }), false],
  ['409 other http', new UpstreamHttpError({ ...init, status: 409 }), false],
  ['200 success:false', new UpstreamHttpError({ ...init, status: 200 }), false],
  ['408 request timeout', new UpstreamHttpError({ ...init, status: 408 }), true],
  ['429 rate limit', new UpstreamRateLimitError({ ...init, status: 429 }), true],
  ['500 server', new UpstreamServerError({ ...init, status: 500 }), true],
  ['503 server', new UpstreamServerError({ ...init, status: 503 }), true],
  ['our timeout', new UpstreamTimeoutError({ ...init, timeoutMs: 200 }), true],
  ['network reset', new UpstreamNetworkError({ ...init, cause: coded('ECONNRESET') }), true],
  ['raw UND_ERR_SOCKET', coded('UND_ERR_SOCKET'), true],
  ['raw ECONNREFUSED nested in cause', new Error('fetch failed', { cause: coded('ECONNREFUSED') }), true],
  ['raw UND_ERR_CONNECT_TIMEOUT', coded('UND_ERR_CONNECT_TIMEOUT'), true],
  ['raw UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_HEADERS_TIMEOUT'), true],
  ['raw UND_ERR_BODY_TIMEOUT', coded('UND_ERR_BODY_TIMEOUT'), true],
  ['raw TimeoutError (AbortSignal.timeout reason)', new DOMException('timed out', 'TimeoutError'), true],
  ['caller AbortError', abortError(), false],
  ['undici RequestAbortedError', Object.assign(new Error('aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }), false],
  ['abort hidden in a network error cause', new UpstreamNetworkError({ ...init, cause: abortError() }), false],
  ['plain Error', new Error('bug'), false],
  ['invalid argument', coded('UND_ERR_INVALID_ARG'), false],
  ['non-error value', 'nope', false],
];

describe('isRetryable', () => {
  for (const op of ops) {
    it.each(cases)(`${op}: %s → %s`, (_label, err, expected) => {
      expect(isRetryable(err, op)).toBe(expected);
    });
  }

  it('survives a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isRetryable(a, 'read')).toBe(false);
  });
});

describe('backoffMs', () => {
  const one = () => 0.999_999;

  it('doubles the ceiling per attempt (random ≈ 1)', () => {
    const waits = [0, 1, 2, 3, 4].map((attempt) => backoffMs(attempt, { baseMs: 500, capMs: 30_000, random: one }));
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('caps the ceiling at capMs', () => {
    expect(backoffMs(10, { baseMs: 500, capMs: 30_000, random: one })).toBe(30_000);
    expect(backoffMs(1_000, { baseMs: 500, capMs: 30_000, random: one })).toBe(30_000);
  });

  it('applies full jitter: random 0 → 0, random 0.5 → half the ceiling', () => {
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, random: () => 0 })).toBe(0);
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, random: () => 0.5 })).toBe(2000);
  });

  it('stays within [0, ceiling] for many random draws', () => {
    for (let i = 0; i < 200; i++) {
      const attempt = i % 8;
      const wait = backoffMs(attempt, { baseMs: 100, capMs: 5_000 });
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** attempt));
    }
  });

  it('lets Retry-After take the place of the random part, in full (capMs does not cut it)', () => {
    expect(backoffMs(0, { baseMs: 500, capMs: 30_000, retryAfterMs: 1000, random: () => 0 })).toBe(1000);
    expect(backoffMs(5, { baseMs: 500, capMs: 30_000, retryAfterMs: 0, random: one })).toBe(0);
    expect(backoffMs(0, { baseMs: 500, capMs: 30_000, retryAfterMs: 120_000 })).toBe(120_000);
  });

  it('with jitter < 1 waits at least the floor ceiling·(1 − jitter), also under a shorter Retry-After', () => {
    // attempt 3: ceiling 4000; half jitter → [2000, 4000].
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, jitter: 0.5, random: () => 0 })).toBe(2000);
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, jitter: 0.5, random: one })).toBe(4000);
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, jitter: 0.5, retryAfterMs: 100 })).toBe(2000);
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, jitter: 0.5, retryAfterMs: 90_000 })).toBe(90_000);
    expect(backoffMs(3, { baseMs: 500, capMs: 30_000, jitter: 0, random: () => 0 })).toBe(4000);
  });

  it('uses the read defaults when no options are given', () => {
    expect(backoffMs(0, { random: one })).toBe(RETRY_DEFAULTS.read.baseMs);
  });
});

describe('RETRY_DEFAULTS', () => {
  it('retries a submit less than a read', () => {
    expect(RETRY_DEFAULTS.submit.maxRetries).toBeLessThan(RETRY_DEFAULTS.read.maxRetries);
    expect(RETRY_DEFAULTS.upload.timeoutMs).toBe(60_000);
    expect(RETRY_DEFAULTS.read.timeoutMs).toBe(30_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);

  it.each([
    ['1', 1000],
    ['120', 120_000],
    [' 5 ', 5000],
    ['0', 0],
    ['1.5', 1500],
    ['-3', 0],
  ])('seconds %j → %d ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter(new Date(now + 7_000).toUTCString(), now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('clamps a date in the past to 0', () => {
    expect(parseRetryAfter('Thu, 15 Jan 2026 11:59:00 GMT', now)).toBe(0);
  });

  it.each([[undefined], [''], ['soon'], ['12abc'], ['1e3'], ['Mon, 99 Foo']])('garbage %j → undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
