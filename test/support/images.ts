import { deflateSync } from 'node:zlib';

/** A real, decodable 1×1 PNG (tiny, but the bytes are what a PNG encoder writes). */
export function pngBytes(seed = 0): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const pixel = Buffer.from([0, seed & 0xff, (seed >> 8) & 0xff, 0x80]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixel)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** JPEG start-of-image + JFIF header followed by filler: enough for magic-byte checks. */
export function jpegBytes(size = 64): Buffer {
  const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - 2), 0x11), Buffer.from([0xff, 0xd9])]);
}

/**
 * A real picture made by ffmpeg (`testsrc2`, plus noise so that it does not compress to nothing,
 * as with a photo): PNG, JPEG, WebP or GIF bytes of `width`×`height`.
 */
export async function makeImage(width: number, height: number, format: 'png' | 'jpg' | 'webp' | 'gif' = 'png', noise = 20): Promise<Buffer> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const codec = {
    png: ['-c:v', 'png', '-f', 'image2pipe'],
    jpg: ['-c:v', 'mjpeg', '-q:v', '2', '-f', 'image2pipe'],
    webp: ['-c:v', 'libwebp', '-f', 'webp'],
    gif: ['-f', 'gif'],
  }[format];
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=1:duration=1`,
      '-vf',
      `noise=alls=${noise}:allf=t${format === 'jpg' ? ',format=yuvj420p' : ''}`,
      '-frames:v',
      '1',
      ...codec,
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}
