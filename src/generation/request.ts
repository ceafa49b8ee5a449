import { z } from 'zod';
import { RequestError } from './errors.js';
import { declaredTypeIsNotAnImage } from './images.js';
import {
  GENERATION_DEFAULTS,
  defaultModelFor,
  MAX_IMAGE_BYTES,
  MAX_PROMPT_CHARS,
  MAX_SEED,
  MIN_SEED,
  MODEL_IDS,
  MODELS,
  MODES,
  RESOLUTIONS,
  isModelId,
  type ModelId,
  type Mode,
  type Resolution,
} from './models.js';
import { resolveSubjects } from './subjects.js';
import { isBlank } from '../render/escape.js';

/** A Discord attachment as the command layer hands it over (nothing downloaded yet). */
export interface AttachmentRef {
  id: string;
  filename: string;
  /** Declared size, in bytes. */
  size: number;
  contentType?: string | null;
  url: string;
}

/** /vidu options as read from Discord; `images` in option order image1..image7, gaps removed. */
export interface RawVideoOptions {
  prompt: string;
  model?: string | null;
  duration?: number | null;
  resolution?: string | null;
  aspectRatio?: string | null;
  audio?: boolean | null;
  seed?: number | null;
  /** `metadata.audio_type`: `all` | `speech_only` | `sound-effect_only`; needs audio on. */
  audioType?: string | null;
  /** `metadata.off_peak`: made within 48 h for fewer credits; needs audio on. */
  offPeak?: boolean | null;
  images: AttachmentRef[];
}

/** The upstream's `metadata.audio_type` values (its spelling, hyphen included). */
export const AUDIO_TYPES = ['all', 'speech_only', 'sound-effect_only'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];

/**
 * One validated generation. Also re-validates records read back from storage, so it is plain
 * JSON and checks shape and universal bounds only — not the per-model rules, which may change
 * between releases while stored records must stay readable.
 */
export const GenerationRequestSchema = z.object({
  model: z.enum(MODEL_IDS),
  mode: z.enum(MODES),
  prompt: z.string().min(1),
  /** Seconds. */
  duration: z.number().int().positive(),
  resolution: z.enum(RESOLUTIONS),
  /** Normalised `W:H`, present only when it is sent upstream. */
  aspectRatio: z
    .string()
    .regex(/^[1-9]\d{0,3}:[1-9]\d{0,3}$/)
    .optional(),
  /** The member gave an aspect ratio that is not sent because the attached image decides it. */
  aspectRatioDropped: z.boolean(),
  audio: z.boolean(),
  /** Sent as `metadata.audio_type` when set (audio on only). */
  audioType: z.enum(['all', 'speech_only', 'sound-effect_only']).optional(),
  /** Sent as `metadata.off_peak: true` when set (audio on only); the upstream may take 48 h. */
  offPeak: z.literal(true).optional(),
  seed: z.number().int().min(MIN_SEED).max(MAX_SEED),
  images: z.array(
    z.object({
      filename: z.string(),
      /** Declared size, in bytes. */
      size: z.number().int().nonnegative(),
      contentType: z.string().nullable().optional(),
      url: z.string(),
      /** Name of the subject this image belongs to, if any. */
      subject: z.string().optional(),
    }),
  ),
  subjects: z.array(
    z.object({
      name: z.string().min(1),
      /** Indexes into `images`. */
      imageIndexes: z.array(z.number().int().nonnegative()).min(1),
    }),
  ),
});

export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

export interface BuildGenerationRequestOptions {
  /** Uniform in [0, 1); draws the seed when the member gave none. Default `Math.random`. */
  random?: () => number;
}

/** `W:H`, 1–4 digits each; spaces around it and around the colon (also a full-width `：`) are allowed. */
const ASPECT_RATIO = /^(\d{1,4})\s*[:：]\s*(\d{1,4})$/;

/**
 * Validates /vidu options into one {@link GenerationRequest}. Throws `RequestError` for the first
 * problem, checked in this order: prompt, model, image count, image declared size/type, duration,
 * resolution, aspect ratio, seed, subjects.
 */
export function buildGenerationRequest(raw: RawVideoOptions, options: BuildGenerationRequestOptions = {}): GenerationRequest {
  const random = options.random ?? Math.random;

  const prompt = raw.prompt.trim();
  // Only invisible or control characters (zero-width spaces, bidi marks, Braille blanks) is empty too.
  if (isBlank(prompt)) throw new RequestError('prompt_empty', {});
  const promptChars = [...prompt].length;
  if (promptChars > MAX_PROMPT_CHARS) {
    throw new RequestError('prompt_too_long', { length: promptChars, max: MAX_PROMPT_CHARS });
  }

  const model = pickModel(raw.model, raw.images.length);
  const rules = MODELS[model];

  const count = raw.images.length;
  if (count < rules.minImages) throw new RequestError('images_required', { model, min: rules.minImages });
  if (count > rules.maxImages) {
    throw new RequestError('too_many_images', { model, max: rules.maxImages, count });
  }
  for (const image of raw.images) {
    if (image.size > MAX_IMAGE_BYTES) {
      throw new RequestError('image_too_large', { filename: image.filename, size: image.size, max: MAX_IMAGE_BYTES });
    }
    if (declaredTypeIsNotAnImage(image.contentType)) {
      throw new RequestError('not_an_image', { filename: image.filename });
    }
  }

  const duration = raw.duration ?? GENERATION_DEFAULTS.duration;
  if (!Number.isInteger(duration) || duration < rules.minDuration || duration > rules.maxDuration) {
    throw new RequestError('duration_out_of_range', {
      model,
      min: rules.minDuration,
      max: rules.maxDuration,
      duration,
    });
  }

  const resolution = parseResolution(raw.resolution);

  const aspectRatio = parseAspectRatio(raw.aspectRatio);
  const aspectRatioDropped = aspectRatio !== undefined && count > 0 && !rules.aspectRatioWithImages;

  const seed = raw.seed ?? drawSeed(random);
  if (!Number.isInteger(seed) || seed < MIN_SEED || seed > MAX_SEED) {
    throw new RequestError('invalid_seed', { value: seed, min: MIN_SEED, max: MAX_SEED });
  }

  const audio = raw.audio ?? GENERATION_DEFAULTS.audio;
  const audioType = raw.audioType?.trim() || undefined;
  if (audioType !== undefined && !(AUDIO_TYPES as readonly string[]).includes(audioType)) {
    throw new RequestError('invalid_audio_type', { value: audioType });
  }
  if (!audio && audioType !== undefined) throw new RequestError('needs_audio', { option: 'audio_type' });
  if (!audio && raw.offPeak === true) throw new RequestError('needs_audio', { option: 'off_peak' });

  const subjects = rules.subjects
    ? resolveSubjects(
        prompt,
        raw.images.map((i) => i.filename),
      )
    : [];
  const subjectOf = new Map<number, string>();
  for (const subject of subjects) for (const index of subject.imageIndexes) subjectOf.set(index, subject.name);

  return {
    model,
    mode: modeFor(model, count),
    prompt,
    duration,
    resolution,
    ...(aspectRatio !== undefined && !aspectRatioDropped ? { aspectRatio } : {}),
    aspectRatioDropped,
    audio,
    ...(audioType !== undefined ? { audioType: audioType as AudioType } : {}),
    ...(raw.offPeak === true ? { offPeak: true as const } : {}),
    seed,
    images: raw.images.map((image, index) => {
      const subject = subjectOf.get(index);
      return {
        filename: image.filename,
        size: image.size,
        contentType: image.contentType ?? null,
        url: image.url,
        ...(subject !== undefined ? { subject } : {}),
      };
    }),
    subjects,
  };
}

function pickModel(given: string | null | undefined, imageCount: number): ModelId {
  const model = given?.trim();
  if (model === undefined || model === '') return defaultModelFor(imageCount);
  if (!isModelId(model)) throw new RequestError('invalid_model', { model });
  return model;
}

function modeFor(model: ModelId, imageCount: number): Mode {
  if (MODELS[model].imageRole === 'references') return 'reference-to-video';
  if (imageCount === 0) return 'text-to-video';
  return imageCount === 1 ? 'image-to-video' : 'first-last-frame';
}

function parseResolution(value: string | null | undefined): Resolution {
  if (value === null || value === undefined || value.trim() === '') return GENERATION_DEFAULTS.resolution;
  const normalised = value.trim().toLowerCase();
  const match = RESOLUTIONS.find((r) => r === normalised);
  if (match === undefined) throw new RequestError('invalid_resolution', { value });
  return match;
}

/** Normalised `W:H`, or `undefined` when none was given. */
function parseAspectRatio(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const match = ASPECT_RATIO.exec(value.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width <= 0 || height <= 0) throw new RequestError('invalid_aspect_ratio', { value });
  return `${width}:${height}`;
}

function drawSeed(random: () => number): number {
  return Math.min(MAX_SEED, Math.max(MIN_SEED, Math.floor(random() * (MAX_SEED + 1))));
}

/** Body of `POST /v1/videos/generations` (shared/upstream/toapis-vidu.md §1). */
export interface SubmitBody {
  model: ModelId;
  prompt: string;
  /** Seconds. */
  duration: number;
  resolution: Resolution;
  aspect_ratio?: string;
  image_urls?: string[];
  audio: boolean;
  seed: number;
  metadata?: { subjects?: { name: string; images: string[] }[]; audio_type?: AudioType; off_peak?: true };
  client_business_id: string;
}

/**
 * The upstream body for a request. `imageUrls` are the uploaded URLs of `req.images`, same order
 * and count; `clientBusinessId` makes the submit idempotent. Throws a plain `Error` on a mismatch
 * (a bug in the caller, not something a member did).
 */
export function toSubmitBody(req: GenerationRequest, imageUrls: readonly string[], clientBusinessId: string): SubmitBody {
  if (imageUrls.length !== req.images.length) {
    throw new Error(`toSubmitBody: ${imageUrls.length} uploaded URLs for ${req.images.length} images`);
  }
  if (clientBusinessId === '') throw new Error('toSubmitBody: empty client_business_id');

  const sendAspectRatio = req.aspectRatio !== undefined && (imageUrls.length === 0 || MODELS[req.model].aspectRatioWithImages);
  const subjects = req.subjects.map((subject) => ({
    name: subject.name,
    images: subject.imageIndexes.map((index) => {
      const url = imageUrls[index];
      if (url === undefined) throw new Error(`toSubmitBody: subject ${subject.name} points at missing image ${index}`);
      return url;
    }),
  }));

  const metadata =
    subjects.length > 0 || req.audioType !== undefined || req.offPeak
      ? {
          ...(subjects.length > 0 ? { subjects } : {}),
          ...(req.audio && req.audioType !== undefined ? { audio_type: req.audioType } : {}),
          ...(req.audio && req.offPeak ? { off_peak: true as const } : {}),
        }
      : undefined;
  return {
    model: req.model,
    prompt: req.prompt,
    duration: req.duration,
    resolution: req.resolution,
    ...(sendAspectRatio ? { aspect_ratio: req.aspectRatio } : {}),
    ...(imageUrls.length > 0 ? { image_urls: [...imageUrls] } : {}),
    audio: req.audio,
    seed: req.seed,
    ...(metadata !== undefined ? { metadata } : {}),
    client_business_id: clientBusinessId,
  };
}
