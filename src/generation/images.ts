import { RequestError } from './errors.js';
import { MAX_IMAGE_BYTES } from './models.js';

/** Image types the upload endpoint accepts (toapis `/v1/uploads/images`: JPEG, PNG, WebP, GIF). */
export type ImageMimeType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';

const EXTENSIONS: Record<ImageMimeType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** Declared content types that say nothing about the bytes; such attachments are sniffed after download. */
const UNINFORMATIVE_CONTENT_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/** Declared content types Discord may report for the accepted formats. */
const ACCEPTED_CONTENT_TYPES = new Set([...Object.keys(EXTENSIONS), 'image/jpg', 'image/pjpeg']);

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The image type the bytes really are, by their magic number; `null` for anything else. */
export function sniffImage(bytes: Uint8Array): ImageMimeType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

/**
 * Checks downloaded bytes: a real JPEG/PNG/WebP/GIF of at most {@link MAX_IMAGE_BYTES} bytes.
 * Throws `RequestError` `not_an_image` (checked first) or `image_too_large`.
 */
export function checkImage(bytes: Uint8Array, filename: string): { mimeType: ImageMimeType; extension: string } {
  const mimeType = sniffImage(bytes);
  if (mimeType === null) throw new RequestError('not_an_image', { filename });
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new RequestError('image_too_large', { filename, size: bytes.length, max: MAX_IMAGE_BYTES });
  }
  return { mimeType, extension: EXTENSIONS[mimeType] };
}

/**
 * Whether a declared content type (Discord's `content_type`) rules the attachment out before
 * download. Missing or generic types are not held against it: the bytes decide later.
 */
export function declaredTypeIsNotAnImage(contentType: string | null | undefined): boolean {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (UNINFORMATIVE_CONTENT_TYPES.has(base)) return false;
  return !ACCEPTED_CONTENT_TYPES.has(base);
}
