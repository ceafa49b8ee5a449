import { RequestError, describeRequestError } from './generation/errors.js';
import {
  UpstreamAuthError,
  UpstreamBadRequestError,
  UpstreamContentRefusedError,
  UpstreamError,
  UpstreamInsufficientCreditsError,
  sanitizeUpstreamText,
} from './upstream/errors.js';
import type { FailureCode, FailureReason } from './tasks/record.js';

/**
 * The only error whose words reach Discord: a stable code plus, optionally, a `reason` (code and
 * parameters, rendered in the reader's locale) or a `detail` text that is safe to show.
 */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(
    readonly code: FailureCode,
    readonly detail?: string,
    readonly reason?: FailureReason,
  ) {
    super(detail ? `${code}: ${detail}` : reason ? `${code}: ${reason.code}` : code);
  }
}

/**
 * Maps any failure of a job to what a member may see, with the detail in `locale` (the job
 * owner's Discord locale; default en-US). Unknown errors become `upstream_unavailable` without
 * detail: their text may carry internals.
 */
export function toUserFacing(err: unknown, secrets: readonly string[] = [], locale = 'en-US'): UserFacingError {
  if (err instanceof UserFacingError) return err;
  if (err instanceof RequestError) return new UserFacingError('invalid_input', describeRequestError(err, locale));
  if (err instanceof UpstreamError) {
    const raw = err.upstreamMessage ? sanitizeUpstreamText(err.upstreamMessage, secrets) : undefined;
    const said = raw ? ({ code: 'upstream_said', said: raw } as const) : undefined;
    if (err instanceof UpstreamBadRequestError) return new UserFacingError('bad_request', undefined, said);
    // Never show what the upstream said about our key.
    if (err instanceof UpstreamAuthError) return new UserFacingError('misconfigured');
    if (err instanceof UpstreamInsufficientCreditsError) return new UserFacingError('out_of_credits');
    if (err instanceof UpstreamContentRefusedError) return new UserFacingError('content_refused', undefined, said);
    return new UserFacingError('upstream_unavailable');
  }
  return new UserFacingError('upstream_unavailable');
}
