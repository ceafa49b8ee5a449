import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpegFiles, safeInputArgs } from '../media/ffmpeg.js';

/** Stored prefix of a last-frame image (src/generation/image-source.ts). */
export { LAST_FRAME_SCHEME } from '../generation/image-source.js';

/** Largest video downloaded to take its last frame from, bytes. */
export const LAST_FRAME_MAX_VIDEO_BYTES = 200 * 1024 * 1024;

export class FrameExtractionError extends Error {
  override name = 'FrameExtractionError';
}

/**
 * Downloads `videoUrl` and returns its last frame as PNG bytes, using ffmpeg (from Debian's
 * `ffmpeg` package; `ffmpegPath` overrides).
 */
export function createLastFrameExtractor(options: {
  /** Must refuse non-MP4 bodies and URLs the bot does not fetch (main.ts passes the guarded download). */
  downloadToFile(url: string, path: string, o: { maxBytes: number; timeoutMs: number }): Promise<unknown>;
  tmpDir: string;
  timeoutMs: number;
  ffmpegPath?: string;
}) {
  return async function lastFrame(videoUrl: string, key: string): Promise<Buffer> {
    const video = join(options.tmpDir, `${key}.frame-src.mp4`);
    const frame = join(options.tmpDir, `${key}.last-frame.png`);
    try {
      await options.downloadToFile(videoUrl, video, { maxBytes: LAST_FRAME_MAX_VIDEO_BYTES, timeoutMs: options.timeoutMs });
      try {
        // -sseof seeks from the end; -update 1 keeps overwriting so the last decoded frame wins.
        // The input is read as MP4/QuickTime only, from the file only (src/media/ffmpeg.ts).
        await runFfmpegFiles(['-sseof', '-1', ...safeInputArgs('mov', video), '-update', '1', '-frames:v', '30', '-f', 'image2', '-c:v', 'png', frame], {
          timeoutMs: options.timeoutMs,
          ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
        });
      } catch (err) {
        throw new FrameExtractionError(`ffmpeg could not read the last frame: ${(err as Error).message.split('\n')[0]}`);
      }
      return await readFile(frame);
    } finally {
      await Promise.all([rm(video, { force: true }), rm(frame, { force: true })]);
    }
  };
}
