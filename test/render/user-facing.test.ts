import { describe, expect, it } from 'vitest';
import { UserFacingError, toUserFacing } from '../../src/errors.js';
import { failureDetail } from '../../src/render/render.js';
import { RequestError, describeRequestError } from '../../src/generation/errors.js';
import {
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
  errorFromResponse,
  type UpstreamError,
} from '../../src/upstream/errors.js';

const PATH = '/v1/videos/generations';
const SAID = 'duration must be between 1 and 16';

describe('toUserFacing: one row per upstream error class', () => {
  const rows: [string, UpstreamError, string, string | undefined][] = [
    ['400 bad request', new UpstreamBadRequestError({ requestPath: PATH, status: 400, upstreamMessage: SAID }), 'bad_request', `Vidu said: “${SAID}”`],
    ['400 without a message', new UpstreamBadRequestError({ requestPath: PATH, status: 400 }), 'bad_request', undefined],
    ['401 auth', new UpstreamAuthError({ requestPath: PATH, status: 401, upstreamMessage: 'invalid key' }), 'misconfigured', undefined],
    ['403 auth', new UpstreamAuthError({ requestPath: PATH, status: 403 }), 'misconfigured', undefined],
    ['402 credits', new UpstreamInsufficientCreditsError({ requestPath: PATH, status: 402, upstreamMessage: 'balance 0.00' }), 'out_of_credits', undefined],
    [
      '422 refused',
      new UpstreamContentRefusedError({ requestPath: PATH, status: 422, upstreamMessage: 'prompt violates policy' }),
      'content_refused',
      'Vidu said: “prompt violates policy”',
    ],
    ['422 refused without a message', new UpstreamContentRefusedError({ requestPath: PATH, status: 422 }), 'content_refused', undefined],
    [
      '404 not found',
      new UpstreamNotFoundError({ requestPath: '/v1/videos/generations/t1', status: 404, upstreamMessage: 'no task' }),
      'upstream_unavailable',
      undefined,
    ],
    [
      '429 rate limited',
      new UpstreamRateLimitError({ requestPath: PATH, status: 429, retryAfterMs: 5_000, upstreamMessage: 'slow down' }),
      'upstream_unavailable',
      undefined,
    ],
    [
      '503 server',
      new UpstreamServerError({ requestPath: PATH, status: 503, upstreamMessage: '<html>nginx internal 10.0.0.3</html>' }),
      'upstream_unavailable',
      undefined,
    ],
    ['timeout', new UpstreamTimeoutError({ requestPath: PATH, timeoutMs: 30_000 }), 'upstream_unavailable', undefined],
    [
      'network',
      new UpstreamNetworkError({ requestPath: PATH, cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
      'upstream_unavailable',
      undefined,
    ],
    ['invalid response', new UpstreamInvalidResponseError({ requestPath: PATH, status: 200, reason: 'not JSON' }), 'upstream_unavailable', undefined],
    ['other HTTP', new UpstreamHttpError({ requestPath: PATH, status: 409, upstreamMessage: 'conflict' }), 'upstream_unavailable', undefined],
  ];

  it.each(rows)('%s → %s', (_name, err, code, detail) => {
    const ufe = toUserFacing(err);
    expect(ufe).toBeInstanceOf(UserFacingError);
    expect(ufe.name).toBe('UserFacingError');
    expect(ufe.code).toBe(code);
    // What the member reads under the title (the upstream's words arrive as a reason, rendered per locale).
    expect(failureDetail(ufe, 'en-US')).toBe(detail);
    expect(ufe.detail).toBeUndefined();
    expect(ufe.message).toBe(ufe.reason ? `${code}: ${ufe.reason.code}` : code);
  });

  it('classes chosen by errorFromResponse map the same way', () => {
    const from = (status: number, body = '{"error":{"message":"nope"}}') =>
      toUserFacing(errorFromResponse({ status, headers: {}, bodyText: body, path: PATH, now: 0 })).code;
    expect([400, 401, 402, 403, 404, 422, 429, 500, 502, 409].map((s) => from(s))).toEqual([
      'bad_request',
      'misconfigured',
      'out_of_credits',
      'misconfigured',
      'upstream_unavailable',
      'content_refused',
      'upstream_unavailable',
      'upstream_unavailable',
      'upstream_unavailable',
      'upstream_unavailable',
    ]);
  });
});

describe('toUserFacing: secrets', () => {
  it('misconfigured drops the upstream message that names our key', () => {
    const err = new UpstreamAuthError({ requestPath: PATH, status: 401, upstreamMessage: 'Invalid API key sk-live-abc123 (account acme)' });
    const ufe = toUserFacing(err, ['sk-live-abc123']);
    expect(ufe.code).toBe('misconfigured');
    expect(ufe.detail).toBeUndefined();
    expect(ufe.message).toBe('misconfigured');
  });

  it('masks our own secrets in a detail that is shown', () => {
    const secret = 'MTk4NjIy.Cl2FMQ.token-echo';
    const err = new UpstreamBadRequestError({ requestPath: PATH, status: 400, upstreamMessage: `bad field near ${secret}` });
    const ufe = toUserFacing(err, [secret]);
    expect(ufe.reason).toEqual({ code: 'upstream_said', said: 'bad field near [redacted]' });
    expect(failureDetail(ufe, 'en-US')).toBe('Vidu said: “bad field near \\[redacted\\]”');
  });

  it('masks key-shaped text even without the secrets list', () => {
    const err = new UpstreamContentRefusedError({ requestPath: PATH, status: 422, upstreamMessage: 'refused for key sk-live-abc123 Bearer abc.def' });
    const ufe = toUserFacing(err);
    expect(failureDetail(ufe, 'en-US')).toBe('Vidu said: “refused for key \\[redacted\\] Bearer \\[redacted\\]”');
  });
});

describe('toUserFacing: everything else', () => {
  it('a RequestError becomes invalid_input with its description', () => {
    const err = new RequestError('duration_out_of_range', { model: 'viduq3', min: 3, max: 16, duration: 2 });
    const ufe = toUserFacing(err);
    expect(ufe.code).toBe('invalid_input');
    expect(ufe.detail).toBe(describeRequestError(err));
    expect(ufe.detail).toContain('viduq3 makes videos of 3–16 seconds, and 2 is outside that range.');
  });

  it('a UserFacingError passes through unchanged', () => {
    const original = new UserFacingError('timed_out');
    expect(toUserFacing(original)).toBe(original);
  });

  it.each([
    ['a plain Error', new Error('ECONNRESET at 10.0.0.3 with sk-live-abc123')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object', { message: 'weird' }],
  ])('%s becomes upstream_unavailable without detail', (_name, err) => {
    const ufe = toUserFacing(err);
    expect(ufe.code).toBe('upstream_unavailable');
    expect(ufe.detail).toBeUndefined();
  });
});
