/**
 * The toapis.com HTTP client: upload an image, submit a Vidu task, read a task, read the
 * balance (upstream/toapis-vidu.md). Every request carries the key, a timeout and a bounded
 * body read; failures become typed {@link UpstreamError}s; retries happen in one loop.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Blob } from 'node:buffer';
import { FormData, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  errorFromResponse,
  readRateHeaders,
  sanitizeUpstreamText,
  UpstreamError,
  UpstreamHttpError,
  UpstreamInvalidResponseError,
  UpstreamNetworkError,
  UpstreamRateLimitError,
  UpstreamRateLimitUnavailableError,
  UpstreamTimeoutError,
  type UpstreamErrorKind,
} from './errors.js';
import type { RateFeedback } from './ratelimit.js';
import { backoffMs, isAbortError, isRetryable, LIMITER_DOWN_RETRIES, RATE_LIMITED_RETRIES, RETRY_DEFAULTS, type RetryBudget, type RetryOp } from './retry.js';
import { BalanceResponseSchema, FailureEnvelopeSchema, UploadResponseSchema, UpstreamTaskSchema, type UpstreamTask } from './schemas.js';

/** Body of `POST /v1/videos/generations` (upstream/toapis-vidu.md §1). */
export interface SubmitBody {
  model: string;
  prompt: string;
  /** Seconds. */
  duration?: number;
  resolution?: string;
  aspect_ratio?: string;
  /** Public http(s) URLs (from {@link UpstreamClient.uploadImage}), in order. */
  image_urls?: string[];
  audio?: boolean;
  seed?: number;
  metadata?: Record<string, unknown>;
  /** Idempotency key: a retry with the same id replays the existing task. Required. */
  client_business_id: string;
}

/** An image to upload. */
export interface UploadImageInput {
  bytes: Uint8Array;
  filename: string;
  mimeType: string;
}

/** Account balance of the key; units are deployment-configured (USD/CNY/tokens). */
export interface Balance {
  remain: number;
  used: number;
  unlimited: boolean;
}

/**
 * One HTTP attempt, for metrics. `outcome` is `ok`, the {@link UpstreamErrorKind} of the
 * failure, `aborted` (caller's signal) or `error` (a bug: invalid argument).
 */
export interface UpstreamRequestInfo {
  op: RetryOp;
  path: string;
  outcome: 'ok' | 'aborted' | 'error' | UpstreamErrorKind;
  status?: number;
  /** Wall time of the attempt, in ms (from `now`). */
  durationMs: number;
}

/** The subset of a pino logger the client uses. Never receives the key or headers. */
export interface UpstreamLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link createUpstreamClient}; defaults in {@link UPSTREAM_CLIENT_DEFAULTS}. */
export interface UpstreamClientOptions {
  /** Origin (and optional path prefix) of the API. Default `https://toapis.com`. */
  baseUrl?: string;
  /** toapis key (`sk-…`). Sent only in the `Authorization` header; never logged. */
  apiKey: string;
  /** undici dispatcher (Agent, MockAgent…). Default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Per-attempt timeout for every op, in ms. Default: per op from {@link RETRY_DEFAULTS} (30 s; uploads 60 s). */
  timeoutMs?: number;
  /** Overrides of the retry budgets, per op. */
  retry?: { [op in RetryOp]?: Partial<RetryBudget> };
  /** Largest response body read, in bytes; bigger is an invalid response. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Waits between retries. Default: a real timer, cancelled by the caller's signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform random in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /** Clock in epoch ms (durations, HTTP-date `Retry-After`). Default `Date.now`. */
  now?: () => number;
  logger?: UpstreamLogger;
  /** Called after every HTTP attempt. */
  onRequest?: (info: UpstreamRequestInfo) => void;
  /** Awaited before every HTTP attempt of an op without its own entry in {@link rateLimits}. Default: no-op. */
  rateLimiter?: { acquire(signal?: AbortSignal): Promise<void> };
  /**
   * Per-op budgets (the documented submit and query buckets, the upload cap): awaited before
   * every attempt of that op, and told what the upstream answered (`feedback`) after it.
   */
  rateLimits?: { [op in RetryOp]?: OpRateLimiter };
}

/** A per-op limiter; `feedback` (when present) hears every answer's status and rate headers. */
export interface OpRateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  feedback?(info: RateFeedback): void;
}

/** Defaults of {@link UpstreamClientOptions}. */
export const UPSTREAM_CLIENT_DEFAULTS = {
  baseUrl: 'https://toapis.com',
  /** 1 MiB: toapis JSON answers are a few hundred bytes. */
  maxResponseBytes: 1_048_576,
  retry: RETRY_DEFAULTS,
  userAgent: 'vidu-bot/0.1',
} as const;

/** The toapis client returned by {@link createUpstreamClient}. */
export interface UpstreamClient {
  /** `POST /v1/uploads/images` (multipart, field `file`, `purpose=generation`); returns the public URL. */
  uploadImage(input: UploadImageInput, signal?: AbortSignal): Promise<{ id: string; url: string }>;
  /** `POST /v1/videos/generations`; retried with the same body (same `client_business_id`). */
  submit(body: SubmitBody, signal?: AbortSignal): Promise<UpstreamTask>;
  /** `GET /v1/videos/generations/{id}`; `id` may be the task id or our `client_business_id`. */
  getTask(id: string, signal?: AbortSignal): Promise<UpstreamTask>;
  /** `GET /v1/balance` for this key. */
  getBalance(signal?: AbortSignal): Promise<Balance>;
}

interface Call<T> {
  op: RetryOp;
  method: 'GET' | 'POST';
  path: string;
  /** Built per attempt: streams and form bodies are single-use. */
  body?: () => { payload: string | FormData; contentType?: string };
  parse: (json: unknown, path: string) => T;
}

/** Argument errors of ours (bad URL, bad header) are bugs, not network failures. */
const PROGRAMMING_ERROR_CODES = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE']);
const UNDICI_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function schemaParser<S extends z.ZodType>(schema: S, what: string) {
  return (json: unknown, path: string): z.output<S> => {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      throw new UpstreamInvalidResponseError({ requestPath: path, status: 200, reason: `${what}${where}`, cause: parsed.error });
    }
    return parsed.data;
  };
}

/** A `{"success":false,"message"}` on HTTP 200 (balance, upload) is a failure, not a shape error. */
function failureEnvelope(json: unknown, path: string, redact: readonly string[]): UpstreamHttpError | undefined {
  const failure = FailureEnvelopeSchema.safeParse(json);
  if (!failure.success) return undefined;
  const message = failure.data.message === undefined ? '' : sanitizeUpstreamText(failure.data.message, redact);
  return new UpstreamHttpError({ requestPath: path, status: 200, ...(message === '' ? {} : { upstreamMessage: message }) });
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number, path: string, status: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw new UpstreamInvalidResponseError({ requestPath: path, status, reason: `body larger than ${maxBytes} bytes` });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Creates a toapis client. No I/O happens until a method is called.
 *
 * Retries: each method retries {@link isRetryable} failures within its op budget, waiting
 * {@link backoffMs} (honouring `Retry-After`) through `sleep`. An abort of the caller's
 * `signal` stops at once and rejects with the signal's reason, never retried.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const baseUrl = (options.baseUrl ?? UPSTREAM_CLIENT_DEFAULTS.baseUrl).replace(/\/+$/, '');
  const maxResponseBytes = options.maxResponseBytes ?? UPSTREAM_CLIENT_DEFAULTS.maxResponseBytes;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, { signal }));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const redact = [options.apiKey];
  const authorization = `Bearer ${options.apiKey}`;

  const limiterOf = (op: RetryOp): OpRateLimiter | undefined => options.rateLimits?.[op] ?? options.rateLimiter;

  const budgetOf = (op: RetryOp): RetryBudget => {
    const merged = { ...RETRY_DEFAULTS[op], ...options.retry?.[op] };
    return options.timeoutMs === undefined ? merged : { ...merged, timeoutMs: options.timeoutMs };
  };

  async function attempt<T>(call: Call<T>, budget: RetryBudget, signal: AbortSignal | undefined): Promise<{ value: T; status: number }> {
    const timeoutSignal = AbortSignal.timeout(budget.timeoutMs);
    const combined = signal === undefined ? timeoutSignal : AbortSignal.any([signal, timeoutSignal]);
    const headers: Record<string, string> = {
      authorization,
      accept: 'application/json',
      'user-agent': UPSTREAM_CLIENT_DEFAULTS.userAgent,
    };
    const built = call.body?.();
    if (built?.contentType !== undefined) headers['content-type'] = built.contentType;

    let status: number | undefined;
    try {
      const res = await request(`${baseUrl}${call.path}`, {
        method: call.method,
        headers,
        body: built?.payload,
        signal: combined,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      status = res.statusCode;
      limiterOf(call.op)?.feedback?.({ status, ...readRateHeaders(res.headers, now()) });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        res.body.destroy();
        throw new UpstreamInvalidResponseError({ requestPath: call.path, status, reason: `body of ${declared} bytes exceeds ${maxResponseBytes}` });
      }
      const text = await readCapped(res.body, maxResponseBytes, call.path, status);
      if (status < 200 || status > 299) {
        throw errorFromResponse({ status, headers: res.headers, bodyText: text, path: call.path, now: now(), redact });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new UpstreamInvalidResponseError({ requestPath: call.path, status, reason: 'body is not JSON', cause });
      }
      const failure = failureEnvelope(json, call.path, redact);
      if (failure !== undefined) throw failure;
      return { value: call.parse(json, call.path), status };
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (signal?.aborted) throw signal.reason ?? err;
      const code = (err as { code?: unknown } | null)?.code;
      if (timeoutSignal.aborted || (typeof code === 'string' && UNDICI_TIMEOUT_CODES.has(code))) {
        throw new UpstreamTimeoutError({ requestPath: call.path, status, timeoutMs: budget.timeoutMs, cause: err });
      }
      if (typeof code === 'string' && PROGRAMMING_ERROR_CODES.has(code)) throw err;
      if (isAbortError(err)) throw err;
      throw new UpstreamNetworkError({ requestPath: call.path, status, cause: err });
    }
  }

  async function run<T>(call: Call<T>, signal: AbortSignal | undefined): Promise<T> {
    const budget = budgetOf(call.op);
    const limiter = limiterOf(call.op);
    // 429s are the budget working, not the request failing: they have their own count, and
    // a down submit limiter (503 rate_limit_unavailable) gets a longer backoff than other 5xx.
    let rateLimited = 0;
    let limiterDown = 0;
    let failed = 0;
    for (;;) {
      signal?.throwIfAborted();
      await (limiter?.acquire(signal) ?? Promise.resolve());
      signal?.throwIfAborted();
      const started = now();
      try {
        const { value, status } = await attempt(call, budget, signal);
        options.onRequest?.({ op: call.op, path: call.path, outcome: 'ok', status, durationMs: now() - started });
        return value;
      } catch (err) {
        const durationMs = now() - started;
        const upstream = err instanceof UpstreamError ? err : undefined;
        options.onRequest?.({
          op: call.op,
          path: call.path,
          outcome: upstream?.kind ?? (isAbortError(err) ? 'aborted' : 'error'),
          ...(upstream?.status === undefined ? {} : { status: upstream.status }),
          durationMs,
        });
        // `retry`: which retry of its kind this would be (0 = the first), for the backoff.
        let retry: number;
        let exhausted: boolean;
        if (err instanceof UpstreamRateLimitError) {
          retry = rateLimited++;
          exhausted = retry >= RATE_LIMITED_RETRIES;
        } else if (err instanceof UpstreamRateLimitUnavailableError) {
          retry = limiterDown++;
          exhausted = retry >= Math.max(budget.maxRetries, LIMITER_DOWN_RETRIES);
        } else {
          retry = failed++;
          exhausted = retry >= budget.maxRetries;
        }
        const waitMs = backoffMs(retry, {
          baseMs: budget.baseMs,
          capMs: budget.capMs,
          retryAfterMs: upstream?.retryAfterMs,
          random,
        });
        // A Retry-After beyond the cap is not slept through here: the caller (the engine) gets
        // the error, which carries it, and waits it out from the store.
        if (signal?.aborted || exhausted || !isRetryable(err, call.op) || waitMs > budget.capMs) {
          options.logger?.debug({ op: call.op, path: call.path, attempt: retry + 1, err: upstream?.message ?? String(err) }, 'toapis request failed');
          throw err;
        }
        options.logger?.warn(
          { op: call.op, path: call.path, attempt: retry + 1, kind: upstream?.kind, status: upstream?.status, waitMs },
          'toapis request failed; retrying',
        );
        await sleep(waitMs, signal);
      }
    }
  }

  const parseTask = schemaParser(UpstreamTaskSchema, 'task');
  const parseUpload = schemaParser(UploadResponseSchema, 'upload');
  const parseBalance = schemaParser(BalanceResponseSchema, 'balance');

  return {
    async uploadImage(input, signal) {
      const data = await run(
        {
          op: 'upload',
          method: 'POST',
          path: '/v1/uploads/images',
          body: () => {
            const form = new FormData();
            form.set('file', new Blob([input.bytes], { type: input.mimeType }), input.filename);
            form.set('purpose', 'generation');
            return { payload: form };
          },
          parse: parseUpload,
        },
        signal,
      );
      return { id: data.data.id, url: data.data.url };
    },

    submit(body, signal) {
      const payload = JSON.stringify(body);
      return run(
        {
          op: 'submit',
          method: 'POST',
          path: '/v1/videos/generations',
          body: () => ({ payload, contentType: 'application/json' }),
          parse: parseTask,
        },
        signal,
      );
    },

    getTask(id, signal) {
      return run({ op: 'read', method: 'GET', path: `/v1/videos/generations/${encodeURIComponent(id)}`, parse: parseTask }, signal);
    },

    async getBalance(signal) {
      const data = await run({ op: 'read', method: 'GET', path: '/v1/balance', parse: parseBalance }, signal);
      return {
        remain: data.remain_balance,
        used: data.used_balance,
        unlimited: data.unlimited_quota === true || data.remain_balance === -1,
      };
    },
  };
}
