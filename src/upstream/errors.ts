/**
 * Typed failures of the toapis.com HTTP boundary.
 *
 * One root ({@link UpstreamError}), one subclass per way a request fails, and one factory
 * ({@link errorFromResponse}) that picks the subclass from the HTTP status. Callers branch on
 * `instanceof` (or the stable `kind`), never on message text.
 */

/** Stable machine-readable kind of an {@link UpstreamError}; also used as a metrics label. */
export type UpstreamErrorKind =
  | 'bad_request'
  | 'auth'
  | 'insufficient_credits'
  | 'not_found'
  | 'content_refused'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'invalid_response'
  | 'http';

/** Structured fields shared by every {@link UpstreamError}. */
export interface UpstreamErrorInit {
  /** Path of the request that failed, e.g. `/v1/videos/generations` (no origin, no query). */
  requestPath: string;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** How long the upstream asked us to wait (parsed `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  /** The upstream's own message; sanitised by the constructor (secrets removed, ≤ 300 chars). */
  upstreamMessage?: string;
  /** Underlying error (undici error, zod error, abort reason…). */
  cause?: unknown;
}

/** Longest {@link UpstreamError.upstreamMessage} kept, in characters. */
export const UPSTREAM_MESSAGE_MAX_CHARS = 300;

/**
 * Removes anything that looks like a credential from text that came from the upstream (or
 * anywhere else we do not control), collapses whitespace and caps the length at
 * {@link UPSTREAM_MESSAGE_MAX_CHARS} characters.
 *
 * @param extraSecrets exact strings to mask as well (e.g. our own API key); strings shorter
 *   than 6 characters are ignored.
 */
export function sanitizeUpstreamText(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  out = out
    // `Authorization: Bearer <token>` and bare `Bearer <token>`.
    .replace(/\bBearer\s+[^\s"',;]+/gi, 'Bearer [redacted]')
    // toapis / OpenAI-style keys: `sk-...`, `sk-live-...`, `sk_proj_...`.
    .replace(/\bsk[-_][A-Za-z0-9_-]+/g, '[redacted]')
    // `api_key=...`, `"apiKey": "..."`, `token=...` in echoed query strings or JSON.
    .replace(/\b(api[_-]?key|access[_-]?token|token|secret)("?\s*[:=]\s*"?)[^\s"'&,;]+/gi, '$1$2[redacted]')
    // Control characters would break one-line logs.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (out.length > UPSTREAM_MESSAGE_MAX_CHARS) out = `${out.slice(0, UPSTREAM_MESSAGE_MAX_CHARS - 1)}…`;
  return out;
}

/**
 * Root of every toapis failure. `message` is safe to log (no secrets) but is not meant for
 * Discord members: map `kind`/`instanceof` to a `UserFacingError` instead.
 */
export abstract class UpstreamError extends Error {
  abstract readonly kind: UpstreamErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly requestPath: string;
  readonly upstreamMessage?: string;

  constructor(summary: string, init: UpstreamErrorInit) {
    const upstreamMessage = init.upstreamMessage === undefined ? undefined : sanitizeUpstreamText(init.upstreamMessage) || undefined;
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
    const detail = upstreamMessage === undefined ? '' : `: ${upstreamMessage}`;
    super(`toapis ${init.requestPath}${status}: ${summary}${detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.requestPath = init.requestPath;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (upstreamMessage !== undefined) this.upstreamMessage = upstreamMessage;
  }
}

/** 400: the upstream rejected our parameters (or the upload's file). Not retryable. */
export class UpstreamBadRequestError extends UpstreamError {
  readonly kind = 'bad_request';
  constructor(init: UpstreamErrorInit) {
    super('request rejected as invalid', init);
  }
}

/**
 * 400 `webhook_not_configured`: the submit carried `metadata.callback_url` but the Token's
 * webhooks are off or unconfigured; no task was created (upstream/toapis-vidu.md §8).
 */
export class UpstreamWebhookNotConfiguredError extends UpstreamBadRequestError {}

/** 401 or 403: the API key is missing, wrong or not allowed. Not retryable. */
export class UpstreamAuthError extends UpstreamError {
  readonly kind = 'auth';
  constructor(init: UpstreamErrorInit) {
    super('authentication failed', init);
  }
}

/** 402: the account is out of balance. Not retryable. */
export class UpstreamInsufficientCreditsError extends UpstreamError {
  readonly kind = 'insufficient_credits';
  constructor(init: UpstreamErrorInit) {
    super('insufficient balance', init);
  }
}

/** 404: unknown task (or path). Not retryable. */
export class UpstreamNotFoundError extends UpstreamError {
  readonly kind = 'not_found';
  constructor(init: UpstreamErrorInit) {
    super('not found', init);
  }
}

/** 422: the content policy refused the prompt or images. Not retryable. */
export class UpstreamContentRefusedError extends UpstreamError {
  readonly kind = 'content_refused';
  constructor(init: UpstreamErrorInit) {
    super('content refused by policy', init);
  }
}

/** 429: too many requests; `retryAfterMs` carries the upstream's `Retry-After`. Retryable. */
export class UpstreamRateLimitError extends UpstreamError {
  readonly kind = 'rate_limited';
  constructor(init: UpstreamErrorInit) {
    super('rate limited', init);
  }
}

/** 5xx: the upstream (or a proxy in front of it) failed. Retryable. */
export class UpstreamServerError extends UpstreamError {
  readonly kind = 'server';
  constructor(init: UpstreamErrorInit) {
    super('upstream server error', init);
  }
}

/**
 * 503 `rate_limit_unavailable`: the upstream's submit limiter itself is down; status queries
 * keep working. Retried with backoff (a longer budget than other 5xx).
 */
export class UpstreamRateLimitUnavailableError extends UpstreamServerError {}

/** Our own per-request timeout fired (or undici's connect/headers/body timeout). Retryable. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = 'timeout';
  /** The timeout that fired, in milliseconds, when known. */
  readonly timeoutMs?: number;
  constructor(init: UpstreamErrorInit & { timeoutMs?: number }) {
    super(init.timeoutMs === undefined ? 'request timed out' : `request timed out after ${init.timeoutMs} ms`, init);
    if (init.timeoutMs !== undefined) this.timeoutMs = init.timeoutMs;
  }
}

/** The connection failed (reset, refused, DNS…); `cause` is the undici/Node error. Retryable. */
export class UpstreamNetworkError extends UpstreamError {
  readonly kind = 'network';
  constructor(init: UpstreamErrorInit) {
    const cause = init.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    super(code === undefined ? 'network error' : `network error (${code})`, init);
  }
}

/** The response was not JSON, too large, or did not fit the documented schema. Not retryable. */
export class UpstreamInvalidResponseError extends UpstreamError {
  readonly kind = 'invalid_response';
  constructor(init: UpstreamErrorInit & { reason: string }) {
    super(`invalid response: ${init.reason}`, init);
  }
}

/**
 * Any other status (3xx, 408, 409, …), and a `{"success":false}` envelope on HTTP 200 (balance
 * and upload endpoints). Retryable only for 408.
 */
export class UpstreamHttpError extends UpstreamError {
  readonly kind = 'http';
  constructor(init: UpstreamErrorInit) {
    super('request failed', init);
  }
}

/** Response headers as undici (`IncomingHttpHeaders`) or a plain record provide them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Parses a `Retry-After` header: either delay-seconds (`"120"`, decimals tolerated) or an
 * HTTP-date. Returns milliseconds to wait from `nowMs` (negative values and past dates clamp
 * to 0), or `undefined` when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) {
    return Math.max(0, Math.round(Number(text) * 1000));
  }
  // An HTTP-date always names a weekday or month; this rejects bare garbage Date.parse accepts.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Pulls the human message out of either documented error envelope:
 * `{"error":{"code","message","type"}}` (most endpoints) or `{"success":false,"message"}`
 * (upload, balance). Non-JSON bodies (proxy HTML pages) yield their text without tags.
 */
export function readUpstreamMessage(bodyText: string): string | undefined {
  const trimmed = bodyText.trim();
  if (trimmed === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    const text = trimmed.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
    return text.replace(/\s+/g, ' ').trim() || undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const body = parsed as { error?: unknown; message?: unknown };
  if (typeof body.error === 'object' && body.error !== null) {
    const message = (body.error as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  if (typeof body.error === 'string' && body.error !== '') return body.error;
  if (typeof body.message === 'string' && body.message !== '') return body.message;
  return undefined;
}

/** The machine-readable `error.code` of a toapis error body, when it is a string. */
export function readUpstreamCode(bodyText: string): string | undefined {
  try {
    const parsed = JSON.parse(bodyText) as { error?: { code?: unknown } } | null;
    const code = parsed?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** What the `X-RateLimit-*` and `Retry-After` headers of an answer say (upstream/toapis-vidu.md §8). */
export interface RateHeaders {
  retryAfterMs?: number;
  remaining?: number;
  /** ms from `nowMs` until the upstream's bucket refills. */
  resetMs?: number;
  /** `async_submit` | `async_query`. */
  category?: string;
}

/**
 * Reads the rate-limit headers. `X-RateLimit-Reset` is taken as epoch seconds (or ms) when it
 * is that large, otherwise as seconds from now; unparseable values are ignored.
 */
export function readRateHeaders(headers: ResponseHeaders, nowMs: number): RateHeaders {
  const out: RateHeaders = {};
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), nowMs);
  if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs;
  const remaining = Number(headerValue(headers, 'x-ratelimit-remaining') ?? Number.NaN);
  if (Number.isFinite(remaining) && remaining >= 0) out.remaining = Math.floor(remaining);
  const reset = Number(headerValue(headers, 'x-ratelimit-reset') ?? Number.NaN);
  if (Number.isFinite(reset) && reset >= 0) {
    out.resetMs = Math.max(0, reset > 1e12 ? reset - nowMs : reset > 1e9 ? reset * 1000 - nowMs : reset * 1000);
  }
  const category = headerValue(headers, 'x-ratelimit-category');
  if (category !== undefined && /^[a-z_]{1,32}$/.test(category)) out.category = category;
  return out;
}

/** Input of {@link errorFromResponse}. */
export interface ErrorResponseInit {
  status: number;
  headers: ResponseHeaders;
  /** The (already size-capped) response body. */
  bodyText: string;
  /** Request path for the error's `requestPath`. */
  path: string;
  /** Current time in epoch milliseconds, for HTTP-date `Retry-After`. Default `Date.now()`. */
  now?: number;
  /** Exact strings (our API key) to mask from the upstream message. */
  redact?: readonly string[];
}

/**
 * Builds the {@link UpstreamError} subclass for a non-2xx response. The class comes from the
 * HTTP status only: the body's `type` strings contradict each other across the toapis docs
 * (see upstream/toapis-vidu.md §4).
 */
export function errorFromResponse(init: ErrorResponseInit): UpstreamError {
  const { status } = init;
  const raw = readUpstreamMessage(init.bodyText);
  const fields: UpstreamErrorInit = { requestPath: init.path, status };
  if (raw !== undefined) {
    const clean = sanitizeUpstreamText(raw, init.redact);
    if (clean !== '') fields.upstreamMessage = clean;
  }
  const retryAfterMs = parseRetryAfter(headerValue(init.headers, 'retry-after'), init.now ?? Date.now());
  if (retryAfterMs !== undefined) fields.retryAfterMs = retryAfterMs;

  const code = readUpstreamCode(init.bodyText);
  if (status === 400 && code === 'webhook_not_configured') return new UpstreamWebhookNotConfiguredError(fields);
  if (status === 503 && code === 'rate_limit_unavailable') return new UpstreamRateLimitUnavailableError(fields);
  if (status === 400) return new UpstreamBadRequestError(fields);
  if (status === 401 || status === 403) return new UpstreamAuthError(fields);
  if (status === 402) return new UpstreamInsufficientCreditsError(fields);
  if (status === 404) return new UpstreamNotFoundError(fields);
  if (status === 422) return new UpstreamContentRefusedError(fields);
  if (status === 429) return new UpstreamRateLimitError(fields);
  if (status >= 500 && status <= 599) return new UpstreamServerError(fields);
  return new UpstreamHttpError(fields);
}
