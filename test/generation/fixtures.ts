import type { AttachmentRef, RawVideoOptions } from '../../src/generation/request.js';

let nextId = 1;

/** A Discord attachment reference named `filename`, 100 KB of PNG unless told otherwise. */
export function attachment(filename: string, overrides: Partial<AttachmentRef> = {}): AttachmentRef {
  const id = String(nextId++);
  return {
    id,
    filename,
    size: 100_000,
    contentType: 'image/png',
    url: `https://cdn.discordapp.com/attachments/1/${id}/${filename}`,
    ...overrides,
  };
}

export function images(...filenames: string[]): AttachmentRef[] {
  return filenames.map((f) => attachment(f));
}

export function options(overrides: Partial<RawVideoOptions> = {}): RawVideoOptions {
  return { prompt: 'a red fox running through snow', images: [], ...overrides };
}

/** Uploaded URL for the image at `index`, as the upstream would return it. */
export const uploaded = (index: number): string => `https://files.toapis.com/uploads/1/${index}.png`;
export const uploadedAll = (count: number): string[] => Array.from({ length: count }, (_, i) => uploaded(i));
