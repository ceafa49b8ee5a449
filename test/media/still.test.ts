import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sniffImage } from '../../src/generation/images.js';
import { STILL_MAX_OUTPUT_BYTES, STILL_MAX_SIDE_PX, StillImageError, shrinkStill, stillDimensions } from '../../src/media/still.js';
import { makeImage, pngBytes } from '../support/images.js';

/** Width and height of a JPEG as ffprobe decodes it. */
async function probe(bytes: Buffer): Promise<{ width: number; height: number }> {
  const child = promisify(execFile)('ffprobe', ['-v', 'error', '-f', 'image2pipe', '-i', 'pipe:0', '-show_entries', 'stream=width,height', '-of', 'json']);
  child.child.stdin!.end(bytes);
  const { stdout } = await child;
  const [stream] = (JSON.parse(stdout) as { streams: { width: number; height: number }[] }).streams;
  return { width: stream!.width, height: stream!.height };
}

const MIME = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' } as const;

describe('shrinkStill (real ffmpeg, real pictures)', () => {
  it.each([
    ['png', 2400, 1600],
    ['jpg', 3000, 2000],
    ['webp', 2000, 3000],
    ['gif', 1600, 1200],
  ] as const)('a %s of %d×%d becomes a JPEG with its long side at 1280 px, a few hundred KB at most', async (format, width, height) => {
    const original = await makeImage(width, height, format);
    expect(stillDimensions(original, MIME[format])).toEqual({ width, height });
    const shrunk = await shrinkStill(original, MIME[format]);
    expect(shrunk.mimeType).toBe('image/jpeg');
    expect(sniffImage(shrunk.bytes)).toBe('image/jpeg');
    expect(shrunk.bytes.length).toBeLessThanOrEqual(STILL_MAX_OUTPUT_BYTES);
    expect(shrunk.bytes.length).toBeLessThan(original.length);
    const size = await probe(shrunk.bytes);
    expect(Math.max(size.width, size.height)).toBe(STILL_MAX_SIDE_PX);
    // The aspect ratio is kept (within a pixel of rounding).
    expect(Math.abs(size.width / size.height - width / height)).toBeLessThan(0.01);
  });

  it('never scales up: a 1×1 PNG stays 1×1', async () => {
    const shrunk = await shrinkStill(pngBytes(5), 'image/png');
    expect(await probe(shrunk.bytes)).toEqual({ width: 1, height: 1 });
  });

  it('refuses a small file that declares a huge canvas before decoding it (a pixel bomb)', async () => {
    const bomb = Buffer.from(pngBytes(1));
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    const err = await shrinkStill(bomb, 'image/png').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StillImageError);
    expect(err).toMatchObject({ code: 'too_large_canvas', params: { width: 20_000, height: 20_000 } });
  });

  it('a file whose header is fine but whose picture is not fails cleanly', async () => {
    const broken = Buffer.concat([pngBytes(1).subarray(0, 33), Buffer.from('not a png body at all')]);
    await expect(shrinkStill(broken, 'image/png')).rejects.toMatchObject({ name: 'StillImageError', code: 'encode_failed' });
    await expect(shrinkStill(Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg')).rejects.toMatchObject({ code: 'unreadable' });
  });
});
