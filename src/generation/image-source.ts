/**
 * Where a job's image comes from, as one tagged union (issue 13: "the image source as a union
 * instead of URL prefixes"). A request stores each image as a URL string — stored records keep
 * that form — and every place that needs to know what the string stands for asks
 * {@link imageSource} instead of testing prefixes itself:
 *
 * - `url`: fetched over https (a Discord attachment, or the upstream's `last_frame_url`);
 * - `last-frame`: the last frame of a finished video, extracted by ffmpeg at job start
 *   (Continue when the upstream returned no `last_frame_url`): `vidu-last-frame:<video url>`;
 * - `library`: a saved subject image, read for its owner only: `vidu-library:<userId>/<name>/<index>`.
 */

/** Stored prefix of a {@link ImageSource} of kind `last-frame`. */
export const LAST_FRAME_SCHEME = 'vidu-last-frame:';
/** Stored prefix of a {@link ImageSource} of kind `library`. */
export const LIBRARY_SCHEME = 'vidu-library:';

export type ImageSource = { kind: 'url'; url: string } | { kind: 'last-frame'; videoUrl: string } | { kind: 'library'; ref: string };

/** What a stored image URL stands for. */
export function imageSource(url: string): ImageSource {
  if (url.startsWith(LAST_FRAME_SCHEME)) return { kind: 'last-frame', videoUrl: url.slice(LAST_FRAME_SCHEME.length) };
  if (url.startsWith(LIBRARY_SCHEME)) return { kind: 'library', ref: url.slice(LIBRARY_SCHEME.length) };
  return { kind: 'url', url };
}

/** The stored form of `source` (the inverse of {@link imageSource}). */
export function storedImageUrl(source: ImageSource): string {
  switch (source.kind) {
    case 'last-frame':
      return `${LAST_FRAME_SCHEME}${source.videoUrl}`;
    case 'library':
      return `${LIBRARY_SCHEME}${source.ref}`;
    case 'url':
      return source.url;
  }
}

/** The first image of a clip that continues a video: the upstream's last frame, else one extracted from the video. */
export function lastFrameSource(outcome: { url: string; lastFrameUrl?: string | undefined }): ImageSource {
  return outcome.lastFrameUrl ? { kind: 'url', url: outcome.lastFrameUrl } : { kind: 'last-frame', videoUrl: outcome.url };
}
