import { describe, expect, it } from 'vitest';
import {
  MAX_REQUEST_ERROR_MESSAGE_CHARS,
  RequestError,
  describeRequestError,
  type RequestErrorCode,
  type RequestErrorParams,
} from '../../src/generation/errors.js';
import { toUserFacing } from '../../src/errors.js';
import { failureDetail } from '../../src/render/render.js';
import { LOCALES } from '../../src/i18n/index.js';
import { UpstreamContentRefusedError } from '../../src/upstream/errors.js';

const long = 'x'.repeat(500);

/** Typical and longest parameters for each code (the longest mirror test/generation/errors.test.ts). */
const cases: { [C in RequestErrorCode]: RequestErrorParams[C][] } = {
  prompt_empty: [{}],
  prompt_too_long: [
    { length: 5001, max: 5000 },
    { length: 123_456_789, max: 5000 },
  ],
  invalid_model: [{ model: 'viduq2' }, { model: long }],
  images_required: [
    { model: 'viduq3', min: 1 },
    { model: 'unknown-model', min: 2 },
  ],
  too_many_images: [
    { model: 'viduq3-turbo', max: 2, count: 3 },
    { model: 'viduq3', max: 7, count: 8 },
  ],
  duration_out_of_range: [
    { model: 'viduq3', min: 3, max: 16, duration: 2 },
    { model: 'viduq3-pro', min: 1, max: 16, duration: 17 },
    { model: 'viduq3', min: 3, max: 16, duration: -2_147_483_648 },
  ],
  invalid_resolution: [{ value: '4k' }, { value: long }],
  invalid_aspect_ratio: [{ value: 'wide' }, { value: long }],
  invalid_seed: [
    { value: -1, min: 0, max: 2_147_483_647 },
    { value: 1.2345678901234567e300, min: 0, max: 2_147_483_647 },
  ],
  unknown_subject: [
    { names: ['bird'], attached: [] },
    { names: ['bird'], attached: ['cat', 'dog'] },
    {
      names: Array.from({ length: 10 }, (_, i) => `${'n'.repeat(31)}${i}`),
      attached: Array.from({ length: 7 }, (_, i) => `${'f'.repeat(60)}${i}`),
    },
  ],
  subject_too_many_images: [
    { name: 'cat', max: 3, count: 4 },
    { name: 'n'.repeat(32), max: 3, count: 7 },
  ],
  image_too_large: [
    { filename: 'big.png', size: 10_590_617, max: 10_485_760 },
    { filename: `${long}.png`, size: 26_214_400, max: 10_485_760 },
  ],
  not_an_image: [{ filename: 'photo.png' }, { filename: `${long}.pdf` }],
  needs_audio: [{ option: 'audio_type' }, { option: 'off_peak' }],
  invalid_audio_type: [{ value: 'music' }, { value: long }],
};

const rows = Object.entries(cases).flatMap(([code, list]) =>
  LOCALES.flatMap((locale) => (list as object[]).map((params, i) => [locale, code, i, params] as const)),
);

describe('describeRequestError in every locale', () => {
  it.each(rows)('%s %s #%i fits, is complete and is not English', (locale, code, _i, params) => {
    const err = new RequestError(code as RequestErrorCode, params as never);
    const text = describeRequestError(err, locale);
    expect([...text].length).toBeLessThanOrEqual(MAX_REQUEST_ERROR_MESSAGE_CHARS);
    expect(text).not.toMatch(/undefined|NaN|\[object|\{\w+\}/);
    // Fits by construction: the truncation safety net did not cut it.
    expect(text).toMatch(/[.。]$/);
    if (locale !== 'en-US') expect(text).not.toBe(describeRequestError(err));
  });

  it('keeps model ids, option names and quoted input unchanged', () => {
    const err = new RequestError('images_required', { model: 'viduq3', min: 1 });
    expect(describeRequestError(err, 'zh-CN')).toBe(
      'viduq3 至少需要 1 张参考图。请附加 1–7 张图片（image1…image7），或选择 viduq3-pro / viduq3-turbo 进行文生视频。',
    );
    expect(describeRequestError(err, 'ja')).toContain('image1…image7');
    expect(describeRequestError(err, 'ko')).toContain('viduq3-pro / viduq3-turbo');
    expect(describeRequestError(err, 'es-ES')).toBe(
      'viduq3 necesita al menos 1 imagen de referencia. Adjunta de 1 a 7 imágenes (image1…image7) o elige viduq3-pro / viduq3-turbo para texto a vídeo.',
    );
    expect(describeRequestError(new RequestError('not_an_image', { filename: 'a`b.png' }), 'ko')).toMatch(/^`ab\.png`은\(는\)/);
  });

  it('lists with the locale’s words', () => {
    const err = new RequestError('duration_out_of_range', { model: 'viduq3', min: 3, max: 16, duration: 2 });
    expect(describeRequestError(err)).toContain('(viduq3-pro or viduq3-turbo can make 2 s)');
    expect(describeRequestError(err, 'ja')).toContain('（viduq3-pro または viduq3-turbo なら 2 秒で作れます）');
    expect(describeRequestError(new RequestError('invalid_resolution', { value: '4k' }), 'zh-CN')).toBe('`4k` 不是支持的分辨率。请选择 540p、720p 或 1080p。');
    const many = new RequestError('unknown_subject', { names: ['bird'], attached: Array.from({ length: 9 }, (_, i) => `file${i}`) });
    expect(describeRequestError(many, 'es-ES')).toMatch(/y \d+ más\.$/);
  });

  it('es-419 reads Spanish; locales without a catalog read English', () => {
    const err = new RequestError('prompt_empty', {});
    expect(describeRequestError(err, 'es-419')).toBe(describeRequestError(err, 'es-ES'));
    expect(describeRequestError(err, 'en-GB')).toBe(describeRequestError(err));
    expect(err.message).toBe(describeRequestError(err));
  });
});

describe('toUserFacing with the owner’s locale (failure details stored on the job)', () => {
  it('a RequestError found at job start is described in the locale', () => {
    const err = new RequestError('not_an_image', { filename: 'photo.png' });
    expect(toUserFacing(err, [], 'ja').detail).toBe(describeRequestError(err, 'ja'));
    expect(toUserFacing(err).detail).toBe(describeRequestError(err));
  });

  it('the upstream’s own words are stored as a reason and quoted in the reader’s locale, still sanitised', () => {
    const err = new UpstreamContentRefusedError({ requestPath: '/v1/videos/generations', status: 422, upstreamMessage: 'refused for key sk-live-abc123' });
    const ufe = toUserFacing(err, []);
    expect(ufe.detail).toBeUndefined();
    expect(failureDetail(ufe, 'es-ES')).toBe('Vidu dijo: «refused for key \\[redacted\\]»');
    expect(failureDetail(ufe, 'en-US')).toBe('Vidu said: “refused for key \\[redacted\\]”');
  });

  it.each(LOCALES)('failure reasons read in %s, with their parameters, and old records keep their stored text', (locale) => {
    const reasons = [
      { code: 'last_frame_failed' },
      { code: 'task_unknown', taskId: 'task-77' },
      { code: 'video_download_failed', taskId: 'task-78' },
      { code: 'library_image_missing', name: 'Cat' },
      { code: 'library_image_foreign' },
    ] as const;
    const texts = reasons.map((reason) => failureDetail({ reason }, locale)!);
    expect(new Set(texts).size).toBe(reasons.length);
    expect(texts[1]).toContain('task-77');
    expect(texts[2]).toContain('task-78');
    expect(texts[3]).toContain('@Cat');
    if (locale !== 'en-US') expect(texts[0]).not.toBe(failureDetail({ reason: reasons[0] }, 'en-US'));
    expect(failureDetail({ detail: 'stored before reasons existed' }, locale)).toBe('stored before reasons existed');
    expect(failureDetail({}, locale)).toBeUndefined();
  });
});
