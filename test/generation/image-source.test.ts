import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAST_FRAME_SCHEME, LIBRARY_SCHEME, imageSource, lastFrameSource, storedImageUrl } from '../../src/generation/image-source.js';

describe('image sources', () => {
  it.each([
    ['https://cdn.discordapp.com/attachments/1/2/cat.png', { kind: 'url', url: 'https://cdn.discordapp.com/attachments/1/2/cat.png' }],
    ['vidu-last-frame:https://files.toapis.com/v/1.mp4', { kind: 'last-frame', videoUrl: 'https://files.toapis.com/v/1.mp4' }],
    ['vidu-library:1300000000000000100/cat/0', { kind: 'library', ref: '1300000000000000100/cat/0' }],
  ] as const)('%s is %o', (url, source) => {
    expect(imageSource(url)).toEqual(source);
    expect(storedImageUrl(source)).toBe(url);
  });

  it('the stored form round-trips for any string, prefixed or not', () => {
    const stored = fc.oneof(
      fc.string(),
      fc.string().map((s) => `${LAST_FRAME_SCHEME}${s}`),
      fc.string().map((s) => `${LIBRARY_SCHEME}${s}`),
    );
    fc.assert(fc.property(stored, (url) => storedImageUrl(imageSource(url)) === url));
  });

  it('a continued clip starts from the upstream’s last frame when it sent one, else from one extracted from the video', () => {
    const video = 'https://files.toapis.com/v/1.mp4';
    expect(lastFrameSource({ url: video, lastFrameUrl: 'https://files.toapis.com/f/1.jpg' })).toEqual({ kind: 'url', url: 'https://files.toapis.com/f/1.jpg' });
    expect(lastFrameSource({ url: video })).toEqual({ kind: 'last-frame', videoUrl: video });
  });
});
