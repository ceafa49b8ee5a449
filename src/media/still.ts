/**
 * Shrinks a member's still image before it is stored (the saved-subject library): the long side
 * scaled down to {@link STILL_MAX_SIDE_PX}, re-encoded as a JPEG of quality ≈ 80, so a subject
 * image takes a few hundred KB in the store instead of up to 10 MB of base64. Runs ffmpeg on the
 * bytes with the input format pinned (src/media/ffmpeg.ts), after the header says the picture is
 * of a size worth decoding: a small file can declare a huge canvas (a "pixel bomb").
 */
import type { ImageMimeType } from '../generation/images.js';
import { FfmpegError, runFfmpegPipe, safeInputArgs } from './ffmpeg.js';

/** Longest side of a stored image, px. */
export const STILL_MAX_SIDE_PX = 1280;
/** Largest picture decoded at all, in pixels (40 MP: 8000 × 5000). */
export const STILL_MAX_PIXELS = 40_000_000;
/** Largest re-encoded image accepted, bytes (512 KiB); a 1280 px JPEG at q≈80 is far below. */
export const STILL_MAX_OUTPUT_BYTES = 512 * 1024;
/** Longest one encode may take, ms. */
const STILL_TIMEOUT_MS = 20_000;
/** ffmpeg's JPEG quantiser scale (2 best … 31 worst): 4 is about quality 80; 10 the fallback. */
const QUALITIES = [4, 10] as const;

/** Why an image could not be shrunk: its header (`too_large_canvas`, `unreadable`) or the encode. */
export class StillImageError extends Error {
  override name = 'StillImageError';
  constructor(
    readonly code: 'too_large_canvas' | 'unreadable' | 'encode_failed',
    readonly params: { width?: number; height?: number } = {},
    options?: ErrorOptions,
  ) {
    super(`still image: ${code}`, options);
  }
}

/** Width and height from the image's header, without decoding it; `undefined` when unreadable. */
export function stillDimensions(bytes: Buffer, mimeType: ImageMimeType): { width: number; height: number } | undefined {
  try {
    switch (mimeType) {
      case 'image/png': // IHDR is the first chunk
        return bytes.toString('latin1', 12, 16) === 'IHDR' ? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) } : undefined;
      case 'image/gif': // logical screen size
        return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
      case 'image/webp':
        return webpDimensions(bytes);
      case 'image/jpeg':
        return jpegDimensions(bytes);
    }
  } catch {
    return undefined; // read past the end: a truncated header
  }
}

function webpDimensions(b: Buffer): { width: number; height: number } | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  return undefined;
}

function jpegDimensions(b: Buffer): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // SOF0–SOF15 carry the frame size; DHT (C4), JPG (C8) and DAC (CC) share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}

/**
 * The image scaled so its long side is at most {@link STILL_MAX_SIDE_PX} (never up) and
 * re-encoded as JPEG (first frame of an animation). Throws {@link StillImageError}.
 */
export async function shrinkStill(
  bytes: Buffer,
  mimeType: ImageMimeType,
  options: { ffmpegPath?: string } = {},
): Promise<{ bytes: Buffer; mimeType: 'image/jpeg' }> {
  const size = stillDimensions(bytes, mimeType);
  if (!size || size.width < 1 || size.height < 1) throw new StillImageError('unreadable');
  if (size.width * size.height > STILL_MAX_PIXELS) throw new StillImageError('too_large_canvas', size);
  const side = STILL_MAX_SIDE_PX;
  let last: unknown;
  for (const q of QUALITIES) {
    try {
      const out = await runFfmpegPipe(
        [
          ...safeInputArgs('image2pipe', 'pipe:0'),
          '-frames:v',
          '1',
          '-vf',
          `scale='min(${side},iw)':'min(${side},ih)':force_original_aspect_ratio=decrease`,
          '-pix_fmt',
          'yuvj420p',
          '-c:v',
          'mjpeg',
          '-q:v',
          String(q),
          '-f',
          'image2pipe',
          'pipe:1',
        ],
        bytes,
        // Over the cap at this quality: the next, lower one is tried.
        { timeoutMs: STILL_TIMEOUT_MS, maxOutputBytes: STILL_MAX_OUTPUT_BYTES, ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}) },
      );
      if (out.length > 0) return { bytes: out, mimeType: 'image/jpeg' };
      last = new FfmpegError('ffmpeg wrote nothing');
    } catch (err) {
      if (!(err instanceof FfmpegError)) throw err;
      last = err;
      if (!err.message.includes('output over')) break; // not a size problem: a lower quality will not help
    }
  }
  throw new StillImageError('encode_failed', size, { cause: last });
}
