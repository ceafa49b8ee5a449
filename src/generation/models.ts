/**
 * Per-model rules for the Vidu Q3 models served by toapis.com, in one table.
 *
 * Source: shared/upstream/toapis-vidu.md §1 (durations, image counts, aspect_ratio rule)
 * and §5 (subjects: at most 3 images each).
 */

/** Model ids in the order they are offered to members. */
export const MODEL_IDS = ['viduq3-pro', 'viduq3-turbo', 'viduq3'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export const RESOLUTIONS = ['540p', '720p', '1080p'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const MODES = ['text-to-video', 'image-to-video', 'first-last-frame', 'reference-to-video'] as const;
export type Mode = (typeof MODES)[number];

export interface ModelRules {
  /** Human name. */
  readonly label: string;
  /** What the model is for; shown as the slash-command choice, at most 100 characters. */
  readonly description: string;
  /** Shortest video, in seconds (inclusive). */
  readonly minDuration: number;
  /** Longest video, in seconds (inclusive). */
  readonly maxDuration: number;
  readonly minImages: number;
  readonly maxImages: number;
  /**
   * How attached images are used: `frames` = 1 image is the first frame, 2 are first and last
   * frame; `references` = every image is a reference (reference-to-video).
   */
  readonly imageRole: 'frames' | 'references';
  /** Whether `@name` in the prompt turns matching images into named subjects. */
  readonly subjects: boolean;
  /**
   * Whether `aspect_ratio` is sent when images are attached. The viduq3-pro page says it "cannot
   * be used" with `image_urls` (the image decides the ratio), so pro/turbo drop it.
   */
  readonly aspectRatioWithImages: boolean;
}

export const MODELS = {
  'viduq3-pro': {
    label: 'Vidu Q3 Pro',
    description: 'Best quality. Text, first frame, or first + last frame (0–2 images). 1–16 s.',
    minDuration: 1,
    maxDuration: 16,
    minImages: 0,
    maxImages: 2,
    imageRole: 'frames',
    subjects: false,
    aspectRatioWithImages: false,
  },
  'viduq3-turbo': {
    label: 'Vidu Q3 Turbo',
    description: 'Fastest and cheapest. Text, first frame, or first + last frame (0–2 images). 1–16 s.',
    minDuration: 1,
    maxDuration: 16,
    minImages: 0,
    maxImages: 2,
    imageRole: 'frames',
    subjects: false,
    aspectRatioWithImages: false,
  },
  viduq3: {
    label: 'Vidu Q3 Reference',
    description: 'From 1–7 reference images; name files after @subjects in the prompt. 3–16 s.',
    minDuration: 3,
    maxDuration: 16,
    minImages: 1,
    maxImages: 7,
    imageRole: 'references',
    subjects: true,
    aspectRatioWithImages: true,
  },
} as const satisfies Record<ModelId, ModelRules>;

/** Common aspect ratios offered as suggestions; any `W:H` is accepted. */
export const ASPECT_RATIO_SUGGESTIONS = ['16:9', '9:16', '1:1', '4:3', '3:4'] as const;

/** Defaults applied when a member leaves an option empty. */
export const GENERATION_DEFAULTS = {
  /** Model when none is given and at most 2 images are attached. */
  model: 'viduq3-turbo',
  /** Model when none is given and more than 2 images are attached (only viduq3 takes them). */
  modelForManyImages: 'viduq3',
  /** Seconds. */
  duration: 5,
  resolution: '720p',
  audio: true,
} as const satisfies {
  model: ModelId;
  modelForManyImages: ModelId;
  duration: number;
  resolution: Resolution;
  audio: boolean;
};

/** Longest prompt, in characters (Unicode code points); the combined toapis Q3 page says 5000. */
export const MAX_PROMPT_CHARS = 5000;
/** Largest image accepted, in bytes (the toapis upload endpoint limit, 10 MB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Seeds are drawn from and validated against 0..MAX_SEED (inclusive). */
export const MIN_SEED = 0;
export const MAX_SEED = 2_147_483_647;
/** Most images one named subject may have (Vidu reference2video `subjects[].images`). */
export const MAX_SUBJECT_IMAGES = 3;
/** Longest `@name`, in characters. */
export const MAX_SUBJECT_NAME_CHARS = 32;

/** Every model's durations together, s (1–16): the bounds of every duration option and setting. */
export const DURATION_RANGE_S = {
  min: Math.min(...Object.values(MODELS).map((m) => m.minDuration)),
  max: Math.max(...Object.values(MODELS).map((m) => m.maxDuration)),
} as const;

/** The model used when the member names none: the default, or the one that takes many images. */
export function defaultModelFor(imageCount: number): ModelId {
  return imageCount > MODELS[GENERATION_DEFAULTS.model].maxImages ? GENERATION_DEFAULTS.modelForManyImages : GENERATION_DEFAULTS.model;
}

export function isModelId(value: string): value is ModelId {
  return Object.hasOwn(MODELS, value);
}
