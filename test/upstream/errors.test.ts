import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  sanitizeUpstreamText,
  UPSTREAM_MESSAGE_MAX_CHARS,
  UpstreamAuthError,
  UpstreamBadRequestError,
  UpstreamContentRefusedError,
  UpstreamError,
  UpstreamHttpError,
  UpstreamInsufficientCreditsError,
  UpstreamNotFoundError,
  UpstreamRateLimitError,
  UpstreamServerError,
  type UpstreamErrorInit,
} from '../../src/upstream/errors.js';

const path = '/v1/videos/generations';
const envelope = (code: number, message: string, type: string) => JSON.stringify({ error: { code, message, type } });

// Bodies from upstream/toapis-vidu.md §3–§4.
const table: [number, string, new (init: UpstreamErrorInit) => UpstreamError, string, string][] = [
  [400, envelope(400, 'Invalid request parameters', 'invalid_request_error'), UpstreamBadRequestError, 'bad_request', 'Invalid request parameters'],
  [
    400,
    JSON.stringify({ success: false, message: 'Unsupported image type. Allowed: JPEG, PNG, WebP, GIF' }),
    UpstreamBadRequestError,
    'bad_request',
    'Unsupported image type. Allowed: JPEG, PNG, WebP, GIF',
  ],
  [
    401,
    envelope(401, 'Authentication failed, please check your API key', 'authentication_error'),
    UpstreamAuthError,
    'auth',
    'Authentication failed, please check your API key',
  ],
  [403, envelope(403, 'Access denied', 'permission_error'), UpstreamAuthError, 'auth', 'Access denied'],
  [402, envelope(402, 'Insufficient balance', 'insufficient_quota'), UpstreamInsufficientCreditsError, 'insufficient_credits', 'Insufficient balance'],
  [404, envelope(404, 'Task not found', 'not_found_error'), UpstreamNotFoundError, 'not_found', 'Task not found'],
  [422, envelope(422, 'Content policy violation', 'content_policy_violation'), UpstreamContentRefusedError, 'content_refused', 'Content policy violation'],
  [
    429,
    envelope(429, 'Too many requests, please try again later', 'rate_limit_error'),
    UpstreamRateLimitError,
    'rate_limited',
    'Too many requests, please try again later',
  ],
  [500, envelope(500, 'Internal server error', 'internal_error'), UpstreamServerError, 'server', 'Internal server error'],
  [503, envelope(503, 'Service temporarily unavailable', 'server_error'), UpstreamServerError, 'server', 'Service temporarily unavailable'],
  [
    502,
    '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
    UpstreamServerError,
    'server',
    '502 Bad Gateway 502 Bad Gateway',
  ],
  [409, envelope(409, 'Conflict', 'conflict'), UpstreamHttpError, 'http', 'Conflict'],
];

describe('errorFromResponse', () => {
  it.each(table)('HTTP %d → class, kind and message', (status, bodyText, cls, kind, message) => {
    const err = errorFromResponse({ status, headers: {}, bodyText, path, now: 0 });
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toBeInstanceOf(Error);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
    expect(err.requestPath).toBe(path);
    expect(err.upstreamMessage).toBe(message);
    expect(err.name).toBe(cls.name);
    expect(err.message).toContain(message);
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('chooses the class from the status, not the body type string', () => {
    // The docs' table says `insufficient_quota` for 402 but an example could say anything.
    const err = errorFromResponse({ status: 429, headers: {}, bodyText: envelope(402, 'x', 'insufficient_quota'), path, now: 0 });
    expect(err).toBeInstanceOf(UpstreamRateLimitError);
  });

  it('reads Retry-After in seconds and as an HTTP-date', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0, 0);
    const secs = errorFromResponse({ status: 429, headers: { 'retry-after': '3' }, bodyText: '', path, now });
    expect(secs.retryAfterMs).toBe(3000);
    const date = errorFromResponse({
      status: 503,
      headers: { 'Retry-After': 'Thu, 15 Jan 2026 12:00:10 GMT' },
      bodyText: '',
      path,
      now,
    });
    expect(date.retryAfterMs).toBe(10_000);
    const none = errorFromResponse({ status: 429, headers: {}, bodyText: '', path, now });
    expect(none.retryAfterMs).toBeUndefined();
  });

  it('tolerates empty and non-object bodies', () => {
    expect(errorFromResponse({ status: 500, headers: {}, bodyText: '', path }).upstreamMessage).toBeUndefined();
    expect(errorFromResponse({ status: 500, headers: {}, bodyText: 'null', path }).upstreamMessage).toBeUndefined();
    expect(errorFromResponse({ status: 500, headers: {}, bodyText: '[1,2]', path }).upstreamMessage).toBeUndefined();
  });

  it('never lets a key or bearer token through message, upstreamMessage, String() or JSON', () => {
    const bodyText = envelope(
      401,
      'Invalid token: Authorization: Bearer xyz-very-secret-token for key sk-live-SECRET123 (api_key=hunter22hunter)',
      'authentication_error',
    );
    const err = errorFromResponse({ status: 401, headers: {}, bodyText, path, redact: ['hunter22hunter'] });
    for (const text of [err.message, err.upstreamMessage ?? '', String(err), JSON.stringify(err), err.stack ?? '']) {
      expect(text).not.toContain('SECRET');
      expect(text).not.toContain('sk-live');
      expect(text).not.toContain('xyz-very-secret-token');
      expect(text).not.toContain('hunter22hunter');
    }
    expect(err.upstreamMessage).toContain('Bearer [redacted]');
    expect(err.upstreamMessage).toContain('Invalid token');
  });

  it('masks an exact secret passed in redact even without an sk- prefix', () => {
    const err = errorFromResponse({
      status: 400,
      headers: {},
      bodyText: JSON.stringify({ success: false, message: 'bad key abcdef123456 used' }),
      path,
      redact: ['abcdef123456'],
    });
    expect(err.upstreamMessage).toBe('bad key [redacted] used');
  });

  it(`caps the upstream message at ${UPSTREAM_MESSAGE_MAX_CHARS} characters`, () => {
    const err = errorFromResponse({ status: 500, headers: {}, bodyText: envelope(500, 'x'.repeat(5000), 'e'), path });
    expect(err.upstreamMessage).toHaveLength(UPSTREAM_MESSAGE_MAX_CHARS);
    expect(err.message.length).toBeLessThan(UPSTREAM_MESSAGE_MAX_CHARS + 100);
  });
});

describe('sanitizeUpstreamText', () => {
  it.each([
    ['Bearer abc.def-ghi', 'Bearer [redacted]'],
    ['key sk-abc123 is bad', 'key [redacted] is bad'],
    ['key sk_proj_abc123 is bad', 'key [redacted] is bad'],
    ['line1\nline2\t\u0000end', 'line1 line2 end'],
    ['Generation failed: call upstream API failed', 'Generation failed: call upstream API failed'],
    ['{"apiKey":"zzzzzz"}', '{"apiKey":"[redacted]"}'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeUpstreamText(input)).toBe(expected);
  });
});
