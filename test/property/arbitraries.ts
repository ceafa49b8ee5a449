/**
 * fast-check generators shared by the property tests: /vidu options as a member could send
 * them (valid and not), close to every rule's edge, and arbitrary upstream JSON.
 */
import fc from 'fast-check';
import type { AttachmentRef, RawVideoOptions } from '../../src/generation/request.js';
import { ASPECT_RATIO_SUGGESTIONS, MAX_IMAGE_BYTES, MAX_PROMPT_CHARS, MAX_SEED, MODEL_IDS, RESOLUTIONS } from '../../src/generation/models.js';

/** A prompt: ordinary text, text with @names, and strings right at the length limit in 1-, 2- and 4-byte characters. */
export const promptArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 0, maxLength: 80 }),
  fc.string({ unit: 'binary', minLength: 0, maxLength: 60 }),
  fc.constantFrom('  ', '\n\t', ''),
  fc
    .tuple(fc.constantFrom('A cat', 'Un perro', '猫が走る'), fc.array(fc.constantFrom('cat', 'dog', 'Bird', 'x-1', '猫'), { maxLength: 3 }))
    .map(([text, names]) => `${text} ${names.map((n) => `@${n}`).join(' and ')}`),
  fc
    .tuple(fc.constantFrom('x', 'é', '猫', '😀', '👩‍👩‍👧'), fc.integer({ min: MAX_PROMPT_CHARS - 8, max: MAX_PROMPT_CHARS + 3 }))
    .map(([unit, n]) => unit.repeat(Math.max(1, Math.floor(n / Array.from(unit).length)))),
);

/** An option value the member typed (or left empty). */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), arb);

const filenameArb = fc.oneof(
  fc.constantFrom('cat.png', 'dog.jpg', 'Bird_2.webp', 'SPOILER_cat.png', 'x-1.gif', '猫.png', 'photo.png', 'cat (1).png'),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => `${s}.png`),
);

const attachmentArb: fc.Arbitrary<AttachmentRef> = fc.record({
  id: fc.bigInt({ min: 1n << 40n, max: 1n << 60n }).map(String),
  filename: filenameArb,
  size: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: MAX_IMAGE_BYTES - 2, max: MAX_IMAGE_BYTES + 2 })),
  contentType: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'image/gif', 'application/pdf', 'video/mp4', 'text/plain'),
  ),
  url: fc.constant('https://cdn.discordapp.com/attachments/1/2/a.png'),
});

/** /vidu options with every field drawn from valid values, their edges, and nonsense. */
export const rawOptionsArb: fc.Arbitrary<RawVideoOptions> = fc.record({
  prompt: promptArb,
  model: maybe(fc.oneof(fc.constantFrom(...MODEL_IDS), fc.constantFrom(' viduq3-pro ', 'viduq3-mix', 'VIDUQ3', ''), fc.string({ maxLength: 12 }))),
  duration: maybe(fc.oneof(fc.integer({ min: -1, max: 18 }), fc.double({ noNaN: false }), fc.integer())),
  resolution: maybe(fc.oneof(fc.constantFrom(...RESOLUTIONS), fc.constantFrom('720P', ' 1080p ', '4k', ''), fc.string({ maxLength: 6 }))),
  aspectRatio: maybe(
    fc.oneof(
      fc.constantFrom(...ASPECT_RATIO_SUGGESTIONS),
      fc.constantFrom(' 16 : 9 ', '16：9', '21:9', '0:1', '1:0', 'wide', ''),
      fc.tuple(fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 0, max: 12_000 })).map(([w, h]) => `${w}:${h}`),
    ),
  ),
  audio: maybe(fc.boolean()),
  seed: maybe(fc.oneof(fc.integer({ min: 0, max: MAX_SEED }), fc.constantFrom(-1, MAX_SEED + 1, 0.5), fc.integer())),
  images: fc.array(attachmentArb, { maxLength: 8 }),
});

/** Any JSON value, biased towards shapes that look like a toapis task. */
export const upstreamJsonArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      status: fc.oneof(fc.constantFrom('queued', 'in_progress', 'completed', 'failed', 'submitted', 'COMPLETED', ' failed ', ''), fc.string(), fc.integer()),
      progress: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
      created_at: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      completed_at: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      expires_at: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
      result: fc.oneof(
        fc.constant(null),
        fc.jsonValue(),
        fc.record(
          {
            data: fc.array(
              fc.record({ url: fc.oneof(fc.webUrl(), fc.string(), fc.constant('javascript:alert(1)')), format: fc.string() }, { requiredKeys: [] }),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      error: fc.oneof(fc.constant(null), fc.jsonValue(), fc.record({ code: fc.oneof(fc.string(), fc.integer()), message: fc.string() }, { requiredKeys: [] })),
      success: fc.oneof(fc.boolean(), fc.jsonValue()),
      message: fc.oneof(fc.string(), fc.jsonValue()),
      data: fc.oneof(fc.jsonValue(), fc.record({ id: fc.string(), url: fc.oneof(fc.webUrl(), fc.string()) }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
);
