import { describe, expect, it } from 'vitest';
import { RequestError, describeRequestError, type RequestErrorCode } from '../../src/generation/errors.js';
import { MAX_IMAGE_BYTES, MAX_SEED } from '../../src/generation/models.js';
import { GenerationRequestSchema, buildGenerationRequest, toSubmitBody, type RawVideoOptions, type SubmitBody } from '../../src/generation/request.js';
import { attachment, images, options, uploaded, uploadedAll } from './fixtures.js';

const fixedRandom = () => 0.5;
const DRAWN_SEED = Math.floor(0.5 * (MAX_SEED + 1));

function build(raw: RawVideoOptions) {
  return buildGenerationRequest(raw, { random: fixedRandom });
}

function refusal(raw: RawVideoOptions): RequestError {
  try {
    build(raw);
  } catch (err) {
    if (err instanceof RequestError) return err;
    throw err;
  }
  throw new Error('expected a RequestError, but the request was accepted');
}

describe('buildGenerationRequest + toSubmitBody: one row per mode', () => {
  const rows: {
    name: string;
    raw: RawVideoOptions;
    mode: string;
    aspectRatioDropped: boolean;
    body: Omit<SubmitBody, 'client_business_id'>;
  }[] = [
    {
      name: 'text-to-video on defaults (turbo, 5 s, 720p, audio, drawn seed)',
      raw: options({ aspectRatio: '9:16' }),
      mode: 'text-to-video',
      aspectRatioDropped: false,
      body: {
        model: 'viduq3-turbo',
        prompt: 'a red fox running through snow',
        duration: 5,
        resolution: '720p',
        aspect_ratio: '9:16',
        audio: true,
        seed: DRAWN_SEED,
      },
    },
    {
      name: 'text-to-video on pro with every option given',
      raw: options({
        prompt: '  a lighthouse at dusk  ',
        model: 'viduq3-pro',
        duration: 16,
        resolution: '1080p',
        aspectRatio: ' 21:9 ',
        audio: false,
        seed: 42,
      }),
      mode: 'text-to-video',
      aspectRatioDropped: false,
      body: {
        model: 'viduq3-pro',
        prompt: 'a lighthouse at dusk',
        duration: 16,
        resolution: '1080p',
        aspect_ratio: '21:9',
        audio: false,
        seed: 42,
      },
    },
    {
      name: 'image-to-video on pro: aspect ratio dropped',
      raw: options({ model: 'viduq3-pro', aspectRatio: '16:9', images: images('start.png') }),
      mode: 'image-to-video',
      aspectRatioDropped: true,
      body: {
        model: 'viduq3-pro',
        prompt: 'a red fox running through snow',
        duration: 5,
        resolution: '720p',
        image_urls: [uploaded(0)],
        audio: true,
        seed: DRAWN_SEED,
      },
    },
    {
      name: 'first-last-frame on turbo (default model): attachment order kept, aspect ratio dropped',
      raw: options({ aspectRatio: '1:1', duration: 1, images: images('first.jpg', 'last.jpg'), seed: 0 }),
      mode: 'first-last-frame',
      aspectRatioDropped: true,
      body: {
        model: 'viduq3-turbo',
        prompt: 'a red fox running through snow',
        duration: 1,
        resolution: '720p',
        image_urls: [uploaded(0), uploaded(1)],
        audio: true,
        seed: 0,
      },
    },
    {
      name: 'multi-reference: viduq3 picked for 3 images without a model, aspect ratio kept',
      raw: options({ aspectRatio: '4:3', images: images('a.png', 'b.png', 'c.png'), seed: MAX_SEED }),
      mode: 'reference-to-video',
      aspectRatioDropped: false,
      body: {
        model: 'viduq3',
        prompt: 'a red fox running through snow',
        duration: 5,
        resolution: '720p',
        aspect_ratio: '4:3',
        image_urls: uploadedAll(3),
        audio: true,
        seed: MAX_SEED,
      },
    },
    {
      name: 'multi-reference with one image on viduq3',
      raw: options({ model: 'viduq3', duration: 3, images: images('ref.webp') }),
      mode: 'reference-to-video',
      aspectRatioDropped: false,
      body: {
        model: 'viduq3',
        prompt: 'a red fox running through snow',
        duration: 3,
        resolution: '720p',
        image_urls: [uploaded(0)],
        audio: true,
        seed: DRAWN_SEED,
      },
    },
    {
      name: 'subjects: @Cat and @dog grouped, the rest stays a plain reference',
      raw: options({
        model: 'viduq3',
        prompt: '@Cat chases @dog across the garden; mail me@example.com',
        images: images('cat.png', 'garden.jpg', 'dog_1.png', 'CAT-2.jpg'),
        seed: 7,
      }),
      mode: 'reference-to-video',
      aspectRatioDropped: false,
      body: {
        model: 'viduq3',
        prompt: '@Cat chases @dog across the garden; mail me@example.com',
        duration: 5,
        resolution: '720p',
        image_urls: uploadedAll(4),
        audio: true,
        seed: 7,
        metadata: {
          subjects: [
            { name: 'Cat', images: [uploaded(0), uploaded(3)] },
            { name: 'dog', images: [uploaded(2)] },
          ],
        },
      },
    },
  ];

  it.each(rows)('$name', ({ raw, mode, aspectRatioDropped, body }) => {
    const req = build(raw);
    expect(req.mode).toBe(mode);
    expect(req.aspectRatioDropped).toBe(aspectRatioDropped);
    expect(GenerationRequestSchema.parse(JSON.parse(JSON.stringify(req)))).toEqual(req);
    expect(toSubmitBody(req, uploadedAll(raw.images.length), 'interaction-123')).toStrictEqual({
      ...body,
      client_business_id: 'interaction-123',
    });
  });

  it('records which images belong to which subject', () => {
    const req = build(options({ model: 'viduq3', prompt: '@Cat sleeps', images: images('cat.png', 'sofa.png', 'cat-2.png') }));
    expect(req.subjects).toEqual([{ name: 'Cat', imageIndexes: [0, 2] }]);
    expect(req.images.map((i) => i.subject)).toEqual(['Cat', undefined, 'Cat']);
  });

  it('treats @words as plain text on pro and turbo', () => {
    for (const model of ['viduq3-pro', 'viduq3-turbo']) {
      const req = build(options({ model, prompt: '@nobody waves', images: images('cat.png') }));
      expect(req.subjects).toEqual([]);
      expect(toSubmitBody(req, uploadedAll(1), 'x')).not.toHaveProperty('metadata');
    }
  });

  it('does not treat an e-mail address as a subject on viduq3', () => {
    const req = build(options({ model: 'viduq3', prompt: 'write to me@example.com', images: images('me.png') }));
    expect(req.subjects).toEqual([]);
  });

  it('draws the seed from the injected random source, over the full range', () => {
    expect(buildGenerationRequest(options(), { random: () => 0 }).seed).toBe(0);
    expect(buildGenerationRequest(options(), { random: () => 0.999999999999 }).seed).toBe(MAX_SEED);
    const seed = buildGenerationRequest(options()).seed;
    expect(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED).toBe(true);
  });

  it('keeps a given seed over the random source', () => {
    expect(buildGenerationRequest(options({ seed: 1234 }), { random: () => 0.9 }).seed).toBe(1234);
  });

  it('keeps a given model for 3+ images (and refuses it when it cannot take them)', () => {
    expect(refusal(options({ model: 'viduq3-turbo', images: images('a.png', 'b.png', 'c.png') })).code).toBe('too_many_images');
  });

  it('refuses mismatched upload URLs (a caller bug)', () => {
    const req = build(options({ images: images('a.png') }));
    expect(() => toSubmitBody(req, [], 'x')).toThrow(/1 images/);
  });
});

describe('buildGenerationRequest: accepted boundaries', () => {
  it.each([
    ['pro 1 s', options({ model: 'viduq3-pro', duration: 1 })],
    ['pro 16 s', options({ model: 'viduq3-pro', duration: 16 })],
    ['turbo 1 s', options({ model: 'viduq3-turbo', duration: 1 })],
    ['turbo 16 s', options({ model: 'viduq3-turbo', duration: 16 })],
    ['viduq3 3 s', options({ model: 'viduq3', duration: 3, images: images('a.png') })],
    ['viduq3 16 s', options({ model: 'viduq3', duration: 16, images: images('a.png') })],
    ['viduq3 7 images', options({ model: 'viduq3', images: images('1.png', '2.png', '3.png', '4.png', '5.png', '6.png', '7.png') })],
    ['pro 2 images', options({ model: 'viduq3-pro', images: images('a.png', 'b.png') })],
    ['5000-character prompt', options({ prompt: 'a'.repeat(5000) })],
    ['5000 emoji (code points, not UTF-16 units)', options({ prompt: '🦊'.repeat(5000) })],
    ['aspect ratio 16:9', options({ aspectRatio: '16:9' })],
    ['aspect ratio " 21:9 "', options({ aspectRatio: ' 21:9 ' })],
    ['aspect ratio 9999:1', options({ aspectRatio: '9999:1' })],
    ['empty aspect ratio = not given', options({ aspectRatio: '   ' })],
    ['an image of exactly 10 MB', options({ images: [attachment('big.png', { size: MAX_IMAGE_BYTES })] })],
    ['unknown declared type (sniffed later)', options({ images: [attachment('x', { contentType: null })] })],
    ['octet-stream declared type', options({ images: [attachment('x', { contentType: 'application/octet-stream' })] })],
    ['seed 0', options({ seed: 0 })],
    ['seed 2147483647', options({ seed: MAX_SEED })],
    ['resolution 540p', options({ resolution: '540p' })],
  ])('%s', (_name, raw) => {
    expect(() => build(raw)).not.toThrow();
  });

  it('normalises the aspect ratio it sends', () => {
    expect(build(options({ aspectRatio: ' 016 : 09 ' })).aspectRatio).toBe('16:9');
  });
});

describe('buildGenerationRequest: every refusal', () => {
  const rows: {
    name: string;
    raw: RawVideoOptions;
    code: RequestErrorCode;
    params?: Record<string, unknown>;
    /** Words the member-facing message must contain, so it says how to fix the request. */
    says: (string | RegExp)[];
  }[] = [
    {
      name: 'whitespace-only prompt',
      raw: options({ prompt: ' \n\t ' }),
      code: 'prompt_empty',
      says: ['prompt', 'Describe'],
    },
    {
      name: 'prompt of invisible and control characters only (zero-width, bidi, BOM, bell, Braille blank)',
      raw: options({ prompt: '\u200b\u202e\ufeff\u0007\u2800\u200d' }),
      code: 'prompt_empty',
      says: ['prompt', 'Describe'],
    },
    {
      name: 'prompt of 5001 characters',
      raw: options({ prompt: 'a'.repeat(5001) }),
      code: 'prompt_too_long',
      params: { length: 5001, max: 5000 },
      says: ['5001', '5000', 'Shorten it by 1 character'],
    },
    {
      name: 'unknown model',
      raw: options({ model: 'viduq2' }),
      code: 'invalid_model',
      params: { model: 'viduq2' },
      says: ['viduq2', 'viduq3-pro', 'viduq3-turbo', 'viduq3 '],
    },
    {
      name: 'viduq3 without an image',
      raw: options({ model: 'viduq3' }),
      code: 'images_required',
      params: { model: 'viduq3', min: 1 },
      says: ['viduq3 needs at least 1', '1–7', 'image1…image7', 'viduq3-pro / viduq3-turbo', 'text-to-video'],
    },
    {
      name: '3 images on pro',
      raw: options({ model: 'viduq3-pro', images: images('a.png', 'b.png', 'c.png') }),
      code: 'too_many_images',
      params: { model: 'viduq3-pro', max: 2, count: 3 },
      says: ['viduq3-pro', 'at most 2', '3 were attached', 'Remove 1 image', 'pick viduq3 ', 'up to 7'],
    },
    {
      name: '3 images on turbo',
      raw: options({ model: 'viduq3-turbo', images: images('a.png', 'b.png', 'c.png') }),
      code: 'too_many_images',
      params: { model: 'viduq3-turbo', max: 2, count: 3 },
      says: ['viduq3-turbo', 'at most 2', 'pick viduq3 '],
    },
    {
      name: '8 images on viduq3',
      raw: options({ model: 'viduq3', images: images(...'abcdefgh'.split('').map((c) => `${c}.png`)) }),
      code: 'too_many_images',
      params: { model: 'viduq3', max: 7, count: 8 },
      says: ['viduq3', 'at most 7', '8 were attached', 'Remove 1 image.'],
    },
    {
      name: '8 images without a model (viduq3 picked)',
      raw: options({ images: images(...'abcdefgh'.split('').map((c) => `${c}.png`)) }),
      code: 'too_many_images',
      params: { model: 'viduq3', max: 7, count: 8 },
      says: ['at most 7'],
    },
    ...(['viduq3-pro', 'viduq3-turbo'] as const).flatMap((model) =>
      [0, 17].map((duration) => ({
        name: `duration ${duration} on ${model}`,
        raw: options({ model, duration }),
        code: 'duration_out_of_range' as const,
        params: { model, min: 1, max: 16, duration },
        says: [model, '1–16 seconds', `${duration} is outside`, 'from 1 to 16'],
      })),
    ),
    {
      name: 'duration 2 on viduq3',
      raw: options({ model: 'viduq3', duration: 2, images: images('a.png') }),
      code: 'duration_out_of_range',
      params: { model: 'viduq3', min: 3, max: 16, duration: 2 },
      says: ['viduq3', '3–16 seconds', 'from 3 to 16', 'viduq3-pro or viduq3-turbo can make 2 s'],
    },
    {
      name: 'duration 17 on viduq3',
      raw: options({ model: 'viduq3', duration: 17, images: images('a.png') }),
      code: 'duration_out_of_range',
      params: { model: 'viduq3', min: 3, max: 16, duration: 17 },
      says: ['viduq3', 'from 3 to 16'],
    },
    {
      name: 'fractional duration',
      raw: options({ duration: 2.5 }),
      code: 'duration_out_of_range',
      says: ['from 1 to 16'],
    },
    {
      name: 'unknown resolution',
      raw: options({ resolution: '4k' }),
      code: 'invalid_resolution',
      params: { value: '4k' },
      says: ['4k', '540p, 720p or 1080p'],
    },
    ...['wide', '16/9', '0:9', '9:0', '16:9:1', '12345:1', '-16:9', '1.5:1'].map((value) => ({
      name: `aspect ratio ${JSON.stringify(value)}`,
      raw: options({ aspectRatio: value }),
      code: 'invalid_aspect_ratio' as const,
      params: { value },
      says: [value, 'width:height', '16:9'],
    })),
    {
      name: 'invalid aspect ratio is refused even when images would drop it',
      raw: options({ model: 'viduq3-pro', aspectRatio: 'wide', images: images('a.png') }),
      code: 'invalid_aspect_ratio',
      says: ['width:height'],
    },
    ...[-1, MAX_SEED + 1, 1.5].map((seed) => ({
      name: `seed ${seed}`,
      raw: options({ seed }),
      code: 'invalid_seed' as const,
      params: { value: seed, min: 0, max: MAX_SEED },
      says: ['0 to 2147483647', 'leave seed empty'],
    })),
    {
      name: 'unknown @name lists the attached names',
      raw: options({
        model: 'viduq3',
        prompt: '@Cat meets @robot and @ghost',
        images: images('cat.png', 'park-2.jpg', 'Park_3.jpg', 'tree.webp'),
      }),
      code: 'unknown_subject',
      params: { names: ['robot', 'ghost'], attached: ['cat', 'park', 'tree'] },
      says: ['`@robot`', '`@ghost`', 'robot.png', 'Attached: `cat`, `park`, `tree`'],
    },
    {
      name: '4 images for one subject',
      raw: options({
        model: 'viduq3',
        prompt: 'a portrait of @cat',
        images: images('cat.png', 'cat-2.png', 'cat_3.png', 'Cat 4.png'),
      }),
      code: 'subject_too_many_images',
      params: { name: 'cat', max: 3, count: 4 },
      says: ['@cat', '4 images', 'at most 3', 'rename or remove'],
    },
    {
      name: 'declared size of 10 MB + 1 byte (before any download)',
      raw: options({ images: [attachment('huge.png', { size: MAX_IMAGE_BYTES + 1 })] }),
      code: 'image_too_large',
      params: { filename: 'huge.png', size: MAX_IMAGE_BYTES + 1, max: MAX_IMAGE_BYTES },
      says: ['huge.png', '10.1 MB', 'at most 10 MB', 'Compress or resize'],
    },
    {
      name: 'declared non-image type (before any download)',
      raw: options({ images: [attachment('notes.pdf', { contentType: 'application/pdf' })] }),
      code: 'not_an_image',
      params: { filename: 'notes.pdf' },
      says: ['notes.pdf', 'JPEG, PNG, WebP or GIF'],
    },
  ];

  it.each(rows)('$name → $code', ({ raw, code, params, says }) => {
    const err = refusal(raw);
    expect(err.code).toBe(code);
    if (params) expect(err.params).toEqual(params);
    const text = describeRequestError(err);
    expect(err.message).toBe(text);
    expect(text.length).toBeLessThanOrEqual(300);
    for (const word of says) expect(text).toMatch(word);
  });

  it('reports the first problem: prompt before model before images before duration', () => {
    const everythingWrong = options({
      prompt: '',
      model: 'nope',
      duration: 99,
      resolution: '8k',
      aspectRatio: 'wide',
      seed: -1,
      images: images('a.png', 'b.png', 'c.png'),
    });
    expect(refusal(everythingWrong).code).toBe('prompt_empty');
    expect(refusal({ ...everythingWrong, prompt: 'ok' }).code).toBe('invalid_model');
    expect(refusal({ ...everythingWrong, prompt: 'ok', model: 'viduq3-pro' }).code).toBe('too_many_images');
    expect(refusal({ ...everythingWrong, prompt: 'ok', model: 'viduq3' }).code).toBe('duration_out_of_range');
    expect(refusal({ ...everythingWrong, prompt: 'ok', model: 'viduq3', duration: 5 }).code).toBe('invalid_resolution');
    expect(refusal({ ...everythingWrong, prompt: 'ok', model: 'viduq3', duration: 5, resolution: null }).code).toBe('invalid_aspect_ratio');
    expect(refusal({ ...everythingWrong, prompt: 'ok', model: 'viduq3', duration: 5, resolution: null, aspectRatio: null }).code).toBe('invalid_seed');
  });
});

describe('GenerationRequestSchema', () => {
  it('rejects a stored record that lost a field or has a bad value', () => {
    const req = build(options());
    expect(GenerationRequestSchema.safeParse({ ...req, seed: -1 }).success).toBe(false);
    expect(GenerationRequestSchema.safeParse({ ...req, model: 'viduq2' }).success).toBe(false);
    const { mode: _mode, ...withoutMode } = req;
    expect(GenerationRequestSchema.safeParse(withoutMode).success).toBe(false);
  });
});
