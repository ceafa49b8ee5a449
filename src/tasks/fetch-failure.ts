import { UserFacingError } from '../errors.js';
import { t } from '../i18n/index.js';
import type { FailureCode } from './record.js';
import { DownloadNotVideoError, DownloadRefusedError } from '../upstream/download.js';

/**
 * A download the fetch guard refused (src/upstream/guard.ts) or a body that is not a video, as
 * the job failure a member sees, in `locale`; undefined for any other error. Never retried: the
 * same URL is refused again.
 */
export function fetchRefusalFailure(err: unknown, code: FailureCode, locale: string): UserFacingError | undefined {
  let reason: string;
  if (err instanceof DownloadNotVideoError) reason = t(locale, 'fetch.reason.notVideo');
  else if (err instanceof DownloadRefusedError) {
    reason =
      err.reason === 'scheme'
        ? t(locale, 'fetch.reason.scheme')
        : err.reason === 'too_many_redirects'
          ? t(locale, 'fetch.reason.redirects')
          : t(locale, 'fetch.reason.private');
  } else return undefined;
  return new UserFacingError(code, t(locale, 'fetch.refused', { reason }));
}
