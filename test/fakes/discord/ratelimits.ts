/**
 * Rate limits: the optional fixed-window bucket simulation of `rateLimits` (headers on every
 * answer, 429 beyond the limit) and {@link rateLimited}, a 429 fault shaped like Discord's.
 * https://discord.com/developers/docs/topics/rate-limits
 */
import { createHash } from 'node:crypto';
import type { Reply } from './errors.js';
import type { DiscordState } from './state.js';
import type { FaultSpec } from './types.js';

/** Which simulated bucket a route counts against. */
export interface BucketKey {
  kind: 'interactionWebhook' | 'channel';
  key: string;
}

/** Counts a request in its bucket: `null` when that kind is not simulated, `limited` when over. */
export function applyRateLimit(
  s: DiscordState,
  bucket: BucketKey,
): {
  headers: Record<string, string>;
  limited?: Reply;
} | null {
  const spec = s.options.rateLimits?.[bucket.kind];
  if (!spec) return null;
  const now = s.now();
  const mapKey = `${bucket.kind}:${bucket.key}`;
  let state = s.buckets.get(mapKey);
  if (!state || now >= state.resetAtMs) {
    state = { resetAtMs: now + spec.windowMs, count: 0 };
    s.buckets.set(mapKey, state);
  }
  const resetAfterS = Math.max(0, (state.resetAtMs - now) / 1000);
  const hash = createHash('sha1').update(bucket.kind).digest('hex').slice(0, 16);
  if (state.count >= spec.limit) {
    return {
      headers: {},
      limited: {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: Number(resetAfterS.toFixed(3)), global: false },
        headers: {
          'retry-after': String(Math.ceil(resetAfterS)),
          'x-ratelimit-limit': String(spec.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': (state.resetAtMs / 1000).toFixed(3),
          'x-ratelimit-reset-after': resetAfterS.toFixed(3),
          'x-ratelimit-bucket': hash,
          'x-ratelimit-scope': 'user',
        },
      },
    };
  }
  state.count += 1;
  return {
    headers: {
      'x-ratelimit-limit': String(spec.limit),
      'x-ratelimit-remaining': String(spec.limit - state.count),
      'x-ratelimit-reset': (state.resetAtMs / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfterS.toFixed(3),
      'x-ratelimit-bucket': hash,
    },
  };
}

/**
 * A 429 fault like Discord's: body `{message, retry_after, global}` and `Retry-After` (whole
 * seconds, rounded up, as Discord sends it) plus `X-RateLimit-*` headers. Spread into
 * `fake.inject({ pathIncludes, ...rateLimited(0.5) })`.
 */
export function rateLimited(
  retryAfterS: number,
  options: { global?: boolean; scope?: 'user' | 'global' | 'shared' } = {},
): Pick<FaultSpec, 'status' | 'body' | 'headers'> {
  const headers: Record<string, string> = {
    'retry-after': String(Math.ceil(retryAfterS)),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': ((Date.now() + retryAfterS * 1000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': retryAfterS.toFixed(3),
    'x-ratelimit-bucket': 'f4k3b0ck3t',
    'x-ratelimit-scope': options.scope ?? (options.global ? 'global' : 'user'),
  };
  if (options.global) headers['x-ratelimit-global'] = 'true';
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterS, global: options.global ?? false },
    headers,
  };
}
