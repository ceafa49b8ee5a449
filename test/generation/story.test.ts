import { describe, expect, it } from 'vitest';
import { MAX_CLIPS, StoryError, buildStoryRequests, describeStoryError } from '../../src/generation/story.js';
import { LOCALES } from '../../src/i18n/index.js';

const fixed = { random: () => 0.5 };
const options = { model: 'viduq3-pro', duration: 4, resolution: '720p', aspectRatio: '16:9', audio: true };

describe('buildStoryRequests', () => {
  it('one request per prompt: the first text-to-video, the later ones from a frame (ratio from the image)', () => {
    const requests = buildStoryRequests(['A fox', 'The fox runs', 'The fox sleeps'], options, fixed);
    expect(requests.map((r) => r.prompt)).toEqual(['A fox', 'The fox runs', 'The fox sleeps']);
    expect(requests.map((r) => r.mode)).toEqual(['text-to-video', 'image-to-video', 'image-to-video']);
    expect(requests[0]!.aspectRatio).toBe('16:9');
    expect(requests[1]).toMatchObject({ aspectRatio: undefined, aspectRatioDropped: true, model: 'viduq3-pro', duration: 4, resolution: '720p' });
    expect(requests.every((r) => r.images.length === 0)).toBe(true);
  });

  it.each([
    ['too_few', ['only one'], options],
    ['too_many', Array.from({ length: MAX_CLIPS + 1 }, (_, i) => `clip ${i}`), options],
    ['model_no_frames', ['a', 'b'], { ...options, model: 'viduq3' }],
    ['clip', ['a', ''], options],
    ['clip', ['a', 'x'.repeat(5001)], options],
    ['clip', ['a', 'b'], { ...options, duration: 17 }],
  ] as const)('refuses with %s', (code, prompts, opts) => {
    let caught: unknown;
    try {
      buildStoryRequests([...prompts], opts, fixed);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StoryError);
    expect((caught as StoryError).code).toBe(code);
    // Every refusal reads in every locale, with nothing left unfilled.
    for (const locale of LOCALES) expect(describeStoryError(caught as StoryError, locale)).not.toMatch(/\{\w+\}/);
  });

  it('names the clip that is wrong', () => {
    try {
      buildStoryRequests(['a', 'b', '  '], options, fixed);
    } catch (err) {
      expect(describeStoryError(err as StoryError)).toMatch(/^Clip 3: /);
    }
    expect.assertions(1);
  });
});
