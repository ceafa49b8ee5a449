/**
 * Gets a finished video ready to post under an upload limit: the original byte-for-byte when it
 * fits, otherwise a re-encode that fits ({@link Fitter}), otherwise "post a link". Files live in
 * `tmpDir` under names derived from the job id, so a restarted process overwrites (and then
 * removes) what a killed one left behind.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeJobTempFiles } from '../tasks/tempfiles.js';
import type { Logger } from '../log.js';
import { DownloadTooLargeError } from '../upstream/download.js';
import { EncodeError, type Fitter } from './fit.js';

/** Largest original downloaded to re-encode, bytes (generous: Vidu 1080p 16 s is ~30–60 MB). */
export const ORIGINAL_MAX_BYTES = 500 * 1024 * 1024;

/** What to post. `file`: attach `path`; `link`: the original is too large and could not be fitted. */
export type StagedVideo =
  | { kind: 'file'; path: string; sizeBytes: number; compressed?: { fromBytes: number; toBytes: number } }
  | { kind: 'link'; sizeBytes: number; limitBytes: number };

/**
 * Writes a video the bot makes itself (a story's joined clips) to `path`, at most `maxBytes`;
 * `stage` takes one in place of a URL. Files it needs on the side go under `<jobId>.` names.
 */
export type VideoProducer = (path: string, limits: { maxBytes: number }) => Promise<{ bytes: number }>;

/** Dependencies of {@link createVideoStager}. */
export interface VideoStagerOptions {
  download(url: string, path: string, options: { maxBytes: number; timeoutMs: number }): Promise<{ bytes: number }>;
  fitter: Fitter;
  tmpDir: string;
  logger: Logger;
  /** Download budget, ms. */
  downloadTimeoutMs: number;
  /** Default {@link ORIGINAL_MAX_BYTES}. */
  originalMaxBytes?: number;
}

export function createVideoStager(options: VideoStagerOptions) {
  const maxBytes = options.originalMaxBytes ?? ORIGINAL_MAX_BYTES;
  const original = (jobId: string) => join(options.tmpDir, `${jobId}.mp4`);
  // A fresh name per attempt: an encoder orphaned by a killed process never shares a file with the next one.
  const fittedPrefix = (jobId: string) => `${jobId}.fit-`;

  return {
    /**
     * Downloads `url` and returns what to post under `limitBytes`. Download failures other than
     * "too large" are thrown as they come (the caller decides whether to retry). Call
     * {@link cleanup} when done with the file, whatever happened.
     */
    async stage(jobId: string, url: string | VideoProducer, limitBytes: number, signal?: AbortSignal): Promise<StagedVideo> {
      const source = original(jobId);
      const fitted = join(options.tmpDir, `${fittedPrefix(jobId)}${randomBytes(4).toString('hex')}.mp4`);
      let sizeBytes: number;
      try {
        sizeBytes = (
          typeof url === 'string' ? await options.download(url, source, { maxBytes, timeoutMs: options.downloadTimeoutMs }) : await url(source, { maxBytes })
        ).bytes;
      } catch (err) {
        if (err instanceof DownloadTooLargeError) return { kind: 'link', sizeBytes: err.sizeBytes ?? maxBytes + 1, limitBytes };
        throw err;
      }
      // Already fits: posted exactly as Vidu made it.
      if (sizeBytes <= limitBytes) return { kind: 'file', path: source, sizeBytes };
      options.logger.info({ task: jobId, sizeBytes, limitBytes }, 'video over the upload limit; re-encoding to fit');
      try {
        const result = await options.fitter.fit({ input: source, output: fitted, limitBytes, signal });
        if (result.kind === 'fitted') {
          options.logger.info(
            { task: jobId, fromBytes: sizeBytes, toBytes: result.sizeBytes, limitBytes, plan: result.plan, attempts: result.attempts },
            'video re-encoded to fit',
          );
          await rm(source, { force: true });
          return { kind: 'file', path: fitted, sizeBytes: result.sizeBytes, compressed: { fromBytes: sizeBytes, toBytes: result.sizeBytes } };
        }
        options.logger.info({ task: jobId, sizeBytes, limitBytes, reason: result.reason }, 'video cannot fit the upload limit; linking');
      } catch (err) {
        if (!(err instanceof EncodeError)) throw err;
        // A file ffmpeg cannot read or encode in time is still a video Vidu made: link it.
        options.logger.warn({ task: jobId, err, stderr: (err as { stderrTail?: string }).stderrTail }, 'video re-encode failed; linking');
      }
      return { kind: 'link', sizeBytes, limitBytes };
    },

    /** Removes the job's staged files, a killed process's leftovers included (no error when there are none). */
    async cleanup(jobId: string): Promise<void> {
      // Every file of the job shares the `<id>.` prefix: the original, each fit attempt, and the
      // partial downloads a killed process left behind.
      await removeJobTempFiles(options.tmpDir, jobId);
    },
  };
}

export type VideoStager = ReturnType<typeof createVideoStager>;
