import {
  MAX_IMAGE_BYTES,
  MAX_PROMPT_CHARS,
  MODEL_IDS,
  MODELS,
  RESOLUTIONS,
  ASPECT_RATIO_SUGGESTIONS,
  isModelId,
  type ModelId,
} from './models.js';

/** Parameters carried by each kind of refusal, for rendering. */
export interface RequestErrorParams {
  prompt_empty: Record<string, never>;
  prompt_too_long: { length: number; max: number };
  invalid_model: { model: string };
  images_required: { model: string; min: number };
  too_many_images: { model: string; max: number; count: number };
  duration_out_of_range: { model: string; min: number; max: number; duration: number };
  invalid_resolution: { value: string };
  invalid_aspect_ratio: { value: string };
  invalid_seed: { value: number; min: number; max: number };
  /** `names`: the `@names` without a matching image; `attached`: distinct file stems attached. */
  unknown_subject: { names: string[]; attached: string[] };
  subject_too_many_images: { name: string; max: number; count: number };
  image_too_large: { filename: string; size: number; max: number };
  not_an_image: { filename: string };
}

export type RequestErrorCode = keyof RequestErrorParams;

/**
 * A /vidu request the bot refuses before spending anything. `code` is stable (tests, metrics and
 * locale tables key on it); `params` hold what a message needs. `message` is the English text.
 */
export class RequestError<C extends RequestErrorCode = RequestErrorCode> extends Error {
  readonly code: C;
  readonly params: RequestErrorParams[C];

  constructor(code: C, params: RequestErrorParams[C]) {
    super(bounded(renderEnglish(code, params)));
    this.name = `RequestError[${code}]`;
    this.code = code;
    this.params = params;
  }

  /** Narrows `code` and `params` together. */
  is<K extends RequestErrorCode>(code: K): this is RequestError<K> {
    return (this.code as RequestErrorCode) === code;
  }
}

type Templates = { [C in RequestErrorCode]: (params: RequestErrorParams[C]) => string };

/** Longest message a template produces, in characters. */
export const MAX_REQUEST_ERROR_MESSAGE_CHARS = 300;

/** Quotes a member-supplied value as inline code, bounded so the message stays short. */
function quote(value: string, maxChars = 40): string {
  const clean = value.replace(/[`\r\n]/g, '');
  const chars = [...clean];
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : clean;
  return `\`${shown}\``;
}

/** Quoted items, as many as fit in `budgetChars`, then "and N more". */
function quotedList(items: readonly string[], maxCharsEach: number, budgetChars: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    const quoted = quote(item, maxCharsEach);
    if (shown.length > 0 && used + quoted.length + 2 > budgetChars) break;
    shown.push(quoted);
    used += quoted.length + 2;
  }
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

/** Size in MB (MiB), rounded up to 0.1 so a file just over the limit never reads as equal to it. */
function megabytes(bytes: number): string {
  return (Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/** Models other than `current` for which `accepts` holds, as a readable list. */
function otherModels(current: string, accepts: (id: ModelId) => boolean): ModelId[] {
  return MODEL_IDS.filter((id) => id !== current && accepts(id));
}

const en: Templates = {
  prompt_empty: () =>
    `The prompt is empty. Describe the video you want in the prompt option (up to ${MAX_PROMPT_CHARS} characters).`,

  prompt_too_long: ({ length, max }) =>
    `The prompt is ${length} characters long, but the limit is ${max}. Shorten it by ${length - max} ${plural(length - max, 'character', 'characters')} and try again.`,

  invalid_model: ({ model }) =>
    `${quote(model)} is not a model this bot offers. Pick viduq3-pro (highest quality), viduq3-turbo (faster, cheapest) or viduq3 (reference images and @subjects).`,

  images_required: ({ model, min }) => {
    const rules = isModelId(model) ? MODELS[model] : undefined;
    const max = rules?.maxImages ?? min;
    const textModels = otherModels(model, (id) => MODELS[id].minImages === 0);
    const alternative = textModels.length > 0 ? `, or pick ${textModels.join(' / ')} for text-to-video` : '';
    return `${model} needs at least ${min} reference ${plural(min, 'image', 'images')}. Attach ${min}–${max} images (image1…image${max})${alternative}.`;
  },

  too_many_images: ({ model, max, count }) => {
    const roomy = otherModels(model, (id) => MODELS[id].maxImages >= count);
    const remove = count - max;
    const alternative =
      roomy.length > 0
        ? `, or pick ${roomy.join(' / ')} for up to ${MODELS[roomy[0]!].maxImages} reference images`
        : '';
    return `${model} takes at most ${max} ${plural(max, 'image', 'images')}, but ${count} were attached. Remove ${remove} ${plural(remove, 'image', 'images')}${alternative}.`;
  },

  duration_out_of_range: ({ model, min, max, duration }) => {
    const fits = otherModels(
      model,
      (id) => MODELS[id].minDuration <= duration && duration <= MODELS[id].maxDuration,
    );
    const alternative =
      fits.length > 0 && Number.isInteger(duration) ? ` (${listOr(fits)} can make ${duration} s)` : '';
    return `${model} makes videos of ${min}–${max} seconds, and ${duration} is outside that range. Pick a duration from ${min} to ${max}${alternative}.`;
  },

  invalid_resolution: ({ value }) =>
    `${quote(value)} is not a supported resolution. Pick ${listOr(RESOLUTIONS)}.`,

  invalid_aspect_ratio: ({ value }) =>
    `${quote(value)} is not an aspect ratio. Write it as width:height with whole numbers, for example ${listOr(ASPECT_RATIO_SUGGESTIONS)}.`,

  invalid_seed: ({ value, min, max }) =>
    `The seed must be a whole number from ${min} to ${max}, and ${quote(String(value), 24)} is not. Pick one in that range, or leave seed empty to get a random one.`,

  unknown_subject: ({ names, attached }) => {
    const example = [...(names[0] ?? 'name')].slice(0, 12).join('');
    const attachedText =
      attached.length > 0 ? `Attached: ${quotedList(attached, 16, 75)}.` : 'No images are attached.';
    return `No attached image matches ${quotedList(names.map((n) => `@${n}`), 18, 60)}. Name image files after the subject (like ${quote(`${example}.png`)}, ${quote(`${example}-2.png`)}) or fix the @name. ${attachedText}`;
  },

  subject_too_many_images: ({ name, max, count }) =>
    `${quote(`@${name}`, 34)} has ${count} images, but one subject takes at most ${max}. Keep 1–${max} images named after ${quote(name, 32)} and rename or remove the rest.`,

  image_too_large: ({ filename, size, max }) =>
    `${quote(filename, 60)} is ${megabytes(size)} MB, but images can be at most ${megabytes(max)} MB. Compress or resize it and attach it again.`,

  not_an_image: ({ filename }) =>
    `${quote(filename, 60)} is not a JPEG, PNG, WebP or GIF image. Attach the picture in one of those formats (at most ${megabytes(MAX_IMAGE_BYTES)} MB).`,
};

/** Message templates per Discord locale; `en-US` is complete and the fallback for the others. */
export const REQUEST_ERROR_TEMPLATES: Readonly<Record<string, Partial<Templates>>> = {
  'en-US': en,
};

function renderWith<C extends RequestErrorCode>(
  templates: Partial<Templates>,
  code: C,
  params: RequestErrorParams[C],
): string | undefined {
  const template = templates[code] as ((p: RequestErrorParams[C]) => string) | undefined;
  return template?.(params);
}

function renderEnglish<C extends RequestErrorCode>(code: C, params: RequestErrorParams[C]): string {
  return renderWith(en, code, params) ?? code;
}

/** Safety net for templates with unusual params; the templates themselves are sized to fit. */
function bounded(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_REQUEST_ERROR_MESSAGE_CHARS
    ? text
    : `${chars.slice(0, MAX_REQUEST_ERROR_MESSAGE_CHARS - 1).join('')}…`;
}

/**
 * What is wrong with the request and what to change, in `locale` (a Discord locale name such as
 * `en-US`; default and fallback `en-US`). At most {@link MAX_REQUEST_ERROR_MESSAGE_CHARS} characters.
 */
export function describeRequestError(err: RequestError, locale = 'en-US'): string {
  const localized = REQUEST_ERROR_TEMPLATES[locale];
  return bounded((localized && renderWith(localized, err.code, err.params)) ?? renderEnglish(err.code, err.params));
}
