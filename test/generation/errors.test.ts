import { describe, expect, it } from 'vitest';
import {
  MAX_REQUEST_ERROR_MESSAGE_CHARS,
  RequestError,
  describeRequestError,
  type RequestErrorCode,
  type RequestErrorParams,
} from '../../src/generation/errors.js';
import { MODELS } from '../../src/generation/models.js';

const long = 'x'.repeat(500);

/** The longest parameters each code can reasonably carry. */
const worstCase: { [C in RequestErrorCode]: RequestErrorParams[C] } = {
  prompt_empty: {},
  prompt_too_long: { length: 123_456_789, max: 5000 },
  invalid_model: { model: long },
  images_required: { model: 'viduq3', min: 1 },
  too_many_images: { model: 'viduq3-turbo', max: 2, count: 7 },
  duration_out_of_range: { model: 'viduq3', min: 3, max: 16, duration: -2_147_483_648 },
  invalid_resolution: { value: long },
  invalid_aspect_ratio: { value: long },
  invalid_seed: { value: 1.2345678901234567e300, min: 0, max: 2_147_483_647 },
  unknown_subject: {
    names: Array.from({ length: 10 }, (_, i) => `${'n'.repeat(31)}${i}`),
    attached: Array.from({ length: 7 }, (_, i) => `${'f'.repeat(60)}${i}`),
  },
  subject_too_many_images: { name: 'n'.repeat(32), max: 3, count: 7 },
  image_too_large: { filename: `${long}.png`, size: 26_214_400, max: 10_485_760 },
  not_an_image: { filename: `${long}.pdf` },
  needs_audio: { option: 'audio_type' },
  invalid_audio_type: { value: long },
};

describe('describeRequestError', () => {
  it.each(Object.entries(worstCase))('%s stays within 300 characters', (code, params) => {
    const err = new RequestError(code as RequestErrorCode, params);
    const text = describeRequestError(err);
    expect(text.length).toBeGreaterThan(20);
    expect(text.length).toBeLessThanOrEqual(MAX_REQUEST_ERROR_MESSAGE_CHARS);
    expect(text).not.toMatch(/undefined|NaN|\[object/);
    // Fits by construction: the truncation safety net did not have to cut it.
    expect(text).toMatch(/\.$/);
  });

  it('shows the code in the error name for logs', () => {
    const err = new RequestError('invalid_seed', { value: -1, min: 0, max: 1 });
    expect(err.name).toBe('RequestError[invalid_seed]');
    expect(err).toBeInstanceOf(Error);
  });

  it('falls back to English for a locale without a catalog', () => {
    const err = new RequestError('prompt_empty', {});
    expect(describeRequestError(err, 'fr')).toBe(describeRequestError(err));
  });

  it('keeps backticks in member input from breaking the formatting', () => {
    const text = describeRequestError(new RequestError('invalid_aspect_ratio', { value: '`16:9`' }));
    expect(text.startsWith('`16:9` is not')).toBe(true);
  });

  it('narrows params with is()', () => {
    const err: RequestError = new RequestError('too_many_images', { model: 'viduq3', max: 7, count: 8 });
    if (err.is('too_many_images')) expect(err.params.count).toBe(8);
    else expect.unreachable();
  });
});

describe('MODELS', () => {
  it.each(Object.entries(MODELS))('%s has a choice description of at most 100 characters', (_id, rules) => {
    expect(rules.description.length).toBeGreaterThan(0);
    expect(rules.description.length).toBeLessThanOrEqual(100);
    expect(rules.label.length).toBeLessThanOrEqual(100);
  });
});
