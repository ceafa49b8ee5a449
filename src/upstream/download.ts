/**
 * Bounded downloads of plain URLs (Discord attachment CDN, finished upstream videos): a byte
 * cap enforced while streaming, a total timeout, and typed failures. Nothing is buffered
 * beyond `maxBytes`; {@link downloadToFile} never holds the body in memory. With a
 * {@link FetchGuard} every URL, and every redirect hop, is checked before it is fetched
 * (src/upstream/guard.ts), and `expect: 'mp4'` refuses a body that is not an MP4/QuickTime file.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { getGlobalDispatcher, request, type Dispatcher } from 'undici';
import { parseRetryAfter } from './errors.js';
import { FetchRefusedError, type FetchGuard } from './guard.js';
import { isAbortError } from './retry.js';

/** Options of {@link downloadBytes} and {@link downloadToFile}. */
export interface DownloadOptions {
  /** Largest body accepted, in bytes; one more byte aborts the download. */
  maxBytes: number;
  /** Budget for the whole download (connect, headers and body), in ms. */
  timeoutMs: number;
  /** undici dispatcher. Default: the guard's, else undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Checks the URL and every redirect target; its dispatcher re-checks DNS at connect. Default none. */
  guard?: FetchGuard;
  /** `mp4`: the body must start with an ISO-BMFF `ftyp` box (MP4/QuickTime), else {@link DownloadNotVideoError}. */
  expect?: 'mp4';
  /** Caller's cancellation; an abort rejects with the signal's reason (not a DownloadError). */
  signal?: AbortSignal;
  /** Redirects followed. Default 3. */
  maxRedirections?: number;
  /** Extra request headers (never credentials of ours: these URLs are public). */
  headers?: Record<string, string>;
}

/** Defaults of the optional {@link DownloadOptions}. */
export const DOWNLOAD_DEFAULTS = { maxRedirections: 3 } as const;

/** The URL without its query and fragment: CDN signatures stay out of messages and logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Root of every download failure. `url` has its query string removed. */
export class DownloadError extends Error {
  readonly url: string;
  constructor(message: string, url: string, options?: { cause?: unknown }) {
    const shown = safeUrl(url);
    super(`download ${shown}: ${message}`, options);
    this.name = new.target.name;
    this.url = shown;
  }
}

/** The body is (or announced to be) larger than `limitBytes`. Not retryable. */
export class DownloadTooLargeError extends DownloadError {
  /** The cap that was exceeded, in bytes. */
  readonly limitBytes: number;
  /**
   * The announced size (`Content-Length`), in bytes, when the refusal came from the header;
   * undefined when the cap was hit mid-stream (the real size is then unknown, > `limitBytes`).
   */
  readonly sizeBytes?: number;
  constructor(url: string, limitBytes: number, sizeBytes?: number) {
    super(sizeBytes === undefined ? `larger than ${limitBytes} bytes` : `${sizeBytes} bytes, larger than ${limitBytes}`, url);
    this.limitBytes = limitBytes;
    if (sizeBytes !== undefined) this.sizeBytes = sizeBytes;
  }
}

/** A non-2xx answer. Retryable for 408, 429 and 5xx. */
export class DownloadHttpError extends DownloadError {
  readonly status: number;
  /** Parsed `Retry-After`, in ms, when sent. */
  readonly retryAfterMs?: number;
  constructor(url: string, status: number, retryAfterMs?: number) {
    super(`HTTP ${status}`, url);
    this.status = status;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** `timeoutMs` (or an undici connect/headers/body timeout) elapsed. Retryable. */
export class DownloadTimeoutError extends DownloadError {
  constructor(url: string, timeoutMs: number, cause?: unknown) {
    super(`timed out after ${timeoutMs} ms`, url, { cause });
  }
}

/** The connection failed; `cause` is the undici/Node error. Retryable. */
export class DownloadNetworkError extends DownloadError {
  constructor(url: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(typeof code === 'string' ? `network error (${code})` : 'network error', url, { cause });
  }
}

/** The connection ended before `Content-Length` bytes arrived. Retryable. */
export class DownloadTruncatedError extends DownloadError {
  readonly expectedBytes: number;
  readonly receivedBytes: number;
  constructor(url: string, expectedBytes: number, receivedBytes: number, cause?: unknown) {
    super(`truncated: got ${receivedBytes} of ${expectedBytes} bytes`, url, { cause });
    this.expectedBytes = expectedBytes;
    this.receivedBytes = receivedBytes;
  }
}

/**
 * The URL (or a redirect target) is not one the bot fetches: not https, a private/loopback/
 * link-local address, or too many redirects. Not retryable; `reason` says which.
 */
export class DownloadRefusedError extends DownloadError {
  readonly reason: FetchRefusedError['reason'] | 'too_many_redirects';
  constructor(url: string, reason: DownloadRefusedError['reason'], detail: string, cause?: unknown) {
    super(detail, url, { cause });
    this.reason = reason;
  }
}

/** The body is not an MP4/QuickTime file (no `ftyp` box at its start). Not retryable. */
export class DownloadNotVideoError extends DownloadError {
  constructor(url: string) {
    super('not an MP4/QuickTime file', url);
  }
}

/** Whether another attempt of a failed download may succeed (caller aborts never are). */
export function isRetryableDownload(err: unknown): boolean {
  if (err instanceof DownloadHttpError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return err instanceof DownloadTimeoutError || err instanceof DownloadNetworkError || err instanceof DownloadTruncatedError;
}

/** A {@link FetchRefusedError} anywhere in `err`'s cause chain (undici wraps connect errors). */
function refusalIn(err: unknown): FetchRefusedError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof FetchRefusedError) return e;
  }
  return undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const PROGRAMMING_ERROR_CODES = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE']);

interface Progress {
  expectedBytes?: number;
  receivedBytes: number;
}

interface OpenedDownload {
  body: Dispatcher.ResponseData['body'];
  contentType?: string;
  progress: Progress;
  /** Turns any failure into a DownloadError (or the caller's abort reason). */
  fail: (err: unknown) => unknown;
}

async function open(url: string, options: DownloadOptions): Promise<OpenedDownload> {
  const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeoutSignal : AbortSignal.any([options.signal, timeoutSignal]);
  const progress: Progress = { receivedBytes: 0 };
  const fail = (err: unknown): unknown => {
    if (err instanceof DownloadError) return err;
    if (options.signal?.aborted) return options.signal.reason ?? err;
    const refused = refusalIn(err);
    if (refused) return new DownloadRefusedError(refused.url, refused.reason, refused.message, err);
    const code = (err as { code?: unknown } | null)?.code;
    if (timeoutSignal.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new DownloadTimeoutError(url, options.timeoutMs, err);
    }
    if (typeof code === 'string' && PROGRAMMING_ERROR_CODES.has(code)) return err;
    if (isAbortError(err)) return err;
    if (progress.expectedBytes !== undefined && progress.receivedBytes < progress.expectedBytes) {
      return new DownloadTruncatedError(url, progress.expectedBytes, progress.receivedBytes, err);
    }
    return new DownloadNetworkError(url, err);
  };

  const dispatcher = options.dispatcher ?? options.guard?.dispatcher ?? getGlobalDispatcher();
  const maxRedirections = options.maxRedirections ?? DOWNLOAD_DEFAULTS.maxRedirections;

  // Redirects are followed here, not by undici, so each target is checked like the first URL.
  let res: Dispatcher.ResponseData;
  let target = url;
  for (let hop = 0; ; hop++) {
    try {
      options.guard?.check(target);
      res = await request(target, { method: 'GET', headers: options.headers, signal, dispatcher });
    } catch (err) {
      throw fail(err);
    }
    const location = res.headers.location;
    if (!REDIRECT_STATUSES.has(res.statusCode) || typeof location !== 'string') break;
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    if (hop >= maxRedirections) throw new DownloadRefusedError(url, 'too_many_redirects', `more than ${maxRedirections} redirects`);
    try {
      target = new URL(location, target).href;
    } catch (err) {
      throw new DownloadRefusedError(url, 'invalid_url', 'redirect to an invalid URL', err);
    }
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    // Drain a little so the connection can be reused; drop the rest.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const retryAfter = res.headers['retry-after'];
    throw new DownloadHttpError(url, res.statusCode, parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()));
  }
  const declared = Number(res.headers['content-length']);
  if (res.headers['content-length'] !== undefined && Number.isFinite(declared)) {
    if (declared > options.maxBytes) {
      // A body already fully buffered emits its abort as 'error' on destroy: with no listener
      // that is an uncaught exception (seen with a 2 KB video over a 16-byte limit).
      res.body.on('error', () => undefined).destroy();
      throw new DownloadTooLargeError(url, options.maxBytes, declared);
    }
    progress.expectedBytes = declared;
  }
  const contentType = res.headers['content-type'];
  return {
    body: res.body,
    ...(typeof contentType === 'string' ? { contentType } : {}),
    progress,
    fail,
  };
}

/** Whether `head` (the first bytes of a file) starts with an ISO-BMFF `ftyp` box: MP4, QuickTime, 3GP. */
export function looksLikeMp4(head: Buffer): boolean {
  return head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp' && head.readUInt32BE(0) >= 8;
}

/** Counts bytes through a pipeline and stops at the cap; with `expect`, checks the first 12 bytes. */
function byteCap(url: string, maxBytes: number, progress: Progress, expect?: 'mp4') {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    // Held back until the head is known, so not one byte of a wrong file reaches the sink.
    let head: Buffer | undefined = expect === undefined ? undefined : Buffer.alloc(0);
    for await (const chunk of source) {
      progress.receivedBytes += chunk.length;
      if (progress.receivedBytes > maxBytes) throw new DownloadTooLargeError(url, maxBytes);
      if (head === undefined) {
        yield chunk;
        continue;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 12) continue;
      if (!looksLikeMp4(head)) throw new DownloadNotVideoError(url);
      yield head;
      head = undefined;
    }
    if (head !== undefined) throw new DownloadNotVideoError(url);
  };
}

function checkComplete(url: string, progress: Progress): void {
  if (progress.expectedBytes !== undefined && progress.receivedBytes < progress.expectedBytes) {
    throw new DownloadTruncatedError(url, progress.expectedBytes, progress.receivedBytes);
  }
}

/**
 * Downloads `url` into memory, at most `maxBytes` bytes (a larger `Content-Length` is refused
 * before reading; a body that grows past the cap is aborted mid-stream).
 *
 * @throws {DownloadTooLargeError | DownloadHttpError | DownloadTimeoutError | DownloadNetworkError | DownloadTruncatedError}
 *   or the caller's abort reason.
 */
export async function downloadBytes(url: string, options: DownloadOptions): Promise<Buffer> {
  const { body, progress, fail } = await open(url, options);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of byteCap(url, options.maxBytes, progress, options.expect)(body as AsyncIterable<Buffer>)) {
      chunks.push(chunk);
    }
    checkComplete(url, progress);
  } catch (err) {
    body.destroy();
    throw fail(err);
  }
  return Buffer.concat(chunks, progress.receivedBytes);
}

/**
 * Streams `url` to `filePath` (via a temporary `<filePath>.<random>.part` renamed on success),
 * at most `maxBytes` bytes. On any failure the partial file is deleted and nothing is left at
 * `filePath`. Same errors as {@link downloadBytes}.
 *
 * @returns bytes written and the response `Content-Type`, when sent.
 */
export async function downloadToFile(url: string, filePath: string, options: DownloadOptions): Promise<{ bytes: number; contentType?: string }> {
  const { body, contentType, progress, fail } = await open(url, options);
  const partPath = `${filePath}.${randomBytes(4).toString('hex')}.part`;
  try {
    await pipeline(body, byteCap(url, options.maxBytes, progress, options.expect), createWriteStream(partPath));
    checkComplete(url, progress);
    await rename(partPath, filePath);
  } catch (err) {
    body.destroy();
    await rm(partPath, { force: true }).catch(() => undefined);
    throw fail(err);
  }
  return { bytes: progress.receivedBytes, ...(contentType === undefined ? {} : { contentType }) };
}
