import { describe, expect, it } from 'vitest';
import { RequestError, describeRequestError } from '../../src/generation/errors.js';
import { checkImage, sniffImage } from '../../src/generation/images.js';
import { MAX_IMAGE_BYTES } from '../../src/generation/models.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF');
const PNG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d], 'IHDR');
const GIF87 = bytes('GIF87a', [1, 0, 1, 0]);
const GIF89 = bytes('GIF89a', [1, 0, 1, 0]);
const WEBP = bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ');

/** `head` followed by zeros up to `size` bytes. */
function padded(head: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(head);
  return out;
}

describe('sniffImage', () => {
  it.each([
    ['JPEG', JPEG, 'image/jpeg'],
    ['PNG', PNG, 'image/png'],
    ['GIF87a', GIF87, 'image/gif'],
    ['GIF89a', GIF89, 'image/gif'],
    ['WebP', WEBP, 'image/webp'],
    ['PDF header', bytes('%PDF-1.7\n'), null],
    ['plain text', bytes('hello, this is not a picture'), null],
    ['mp4 header', bytes([0, 0, 0, 0x18], 'ftypmp42', [0, 0, 0, 0], 'isommp42'), null],
    ['RIFF but WAVE', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), null],
    ['truncated 2-byte JPEG start', bytes([0xff, 0xd8]), null],
    ['truncated PNG signature', bytes([0x89, 0x50, 0x4e, 0x47]), null],
    ['RIFF cut before WEBP', bytes('RIFF', [0x24, 0, 0, 0], 'WE'), null],
    ['empty file', new Uint8Array(), null],
  ])('%s', (_name, input, expected) => {
    expect(sniffImage(input)).toBe(expected);
  });
});

describe('checkImage', () => {
  it.each([
    [JPEG, 'image/jpeg', 'jpg'],
    [PNG, 'image/png', 'png'],
    [GIF89, 'image/gif', 'gif'],
    [WEBP, 'image/webp', 'webp'],
  ])('accepts %#', (input, mimeType, extension) => {
    expect(checkImage(input, 'x.bin')).toEqual({ mimeType, extension });
  });

  it('goes by the bytes, not the file name', () => {
    expect(checkImage(JPEG, 'photo.png').mimeType).toBe('image/jpeg');
  });

  it('accepts exactly 10 MB', () => {
    expect(checkImage(padded(PNG, MAX_IMAGE_BYTES), 'big.png').mimeType).toBe('image/png');
  });

  it('refuses 10 MB + 1 byte with image_too_large', () => {
    const err = catchError(() => checkImage(padded(PNG, MAX_IMAGE_BYTES + 1), 'big.png'));
    expect(err.code).toBe('image_too_large');
    expect(err.params).toEqual({ filename: 'big.png', size: MAX_IMAGE_BYTES + 1, max: MAX_IMAGE_BYTES });
    expect(describeRequestError(err)).toMatch(/`big\.png` is 10\.1 MB.*at most 10 MB.*Compress or resize/);
  });

  it.each([
    ['doc.pdf', bytes('%PDF-1.4\n%âãÏÓ')],
    ['notes.png', bytes('just some text')],
    ['clip.mp4', bytes([0, 0, 0, 0x20], 'ftypisom')],
    ['tiny.jpg', bytes([0xff, 0xd8])],
  ])('refuses %s with not_an_image', (filename, input) => {
    const err = catchError(() => checkImage(input, filename));
    expect(err.code).toBe('not_an_image');
    expect(err.params).toEqual({ filename });
    expect(describeRequestError(err)).toContain(filename);
    expect(describeRequestError(err)).toContain('JPEG, PNG, WebP or GIF');
  });

  it('reports a large non-image as not_an_image', () => {
    expect(catchError(() => checkImage(new Uint8Array(MAX_IMAGE_BYTES + 1), 'x.bin')).code).toBe('not_an_image');
  });
});

function catchError(fn: () => unknown): RequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestError) return err;
    throw err;
  }
  throw new Error('expected a RequestError');
}
