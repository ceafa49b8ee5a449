import { MAX_IMAGE_BYTES, MAX_PROMPT_CHARS, MODEL_IDS, MODELS, RESOLUTIONS, ASPECT_RATIO_SUGGESTIONS, isModelId, type ModelId } from './models.js';
import { joinList, listOr, resolveLocale, t, tn, type Locale } from '../i18n/index.js';
import { inlineCode } from '../render/escape.js';

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
  /** `audio_type` or `off_peak` asked for with `audio:false`. */
  needs_audio: { option: 'audio_type' | 'off_peak' };
  invalid_audio_type: { value: string };
}

export type RequestErrorCode = keyof RequestErrorParams;

/**
 * A /vidu request the bot refuses before spending anything. `code` is stable (tests, metrics and
 * the catalogs in src/i18n key on it); `params` hold what a message needs. `message` is the English text.
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

  /** Makes `err instanceof RequestError` narrow to `RequestError` (any code) instead of `RequestError<any>`. */
  static override [Symbol.hasInstance](value: unknown): value is RequestError {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** Narrows `code` and `params` together. */
  is<K extends RequestErrorCode>(code: K): this is RequestError<K> {
    const actual: RequestErrorCode = this.code;
    return actual === code;
  }
}

type Templates = { [C in RequestErrorCode]: (params: RequestErrorParams[C], locale: Locale) => string };

/** Longest message a template produces, in characters. */
export const MAX_REQUEST_ERROR_MESSAGE_CHARS = 300;

/** Quotes a member-supplied value as inline code, bounded so the message stays short. */
const quote = (value: string, maxChars = 40): string => inlineCode(value, maxChars);

/** Quoted items, as many as fit in `budgetChars`, then "and N more". */
function quotedList(locale: Locale, items: readonly string[], maxCharsEach: number, budgetChars: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    const quoted = quote(item, maxCharsEach);
    if (shown.length > 0 && used + quoted.length + 2 > budgetChars) break;
    shown.push(quoted);
    used += quoted.length + 2;
  }
  const rest = items.length - shown.length;
  const list = joinList(locale, shown);
  return rest > 0 ? t(locale, 'list.more', { items: list, count: rest }) : list;
}

/** Size in MB (MiB), rounded up to 0.1 so a file just over the limit never reads as equal to it. */
function megabytes(bytes: number): string {
  return (Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/** Models other than `current` for which `accepts` holds, as a readable list. */
function otherModels(current: string, accepts: (id: ModelId) => boolean): ModelId[] {
  return MODEL_IDS.filter((id) => id !== current && accepts(id));
}

/** One template per code; the words come from the locale's catalog (`request.*` keys). */
const TEMPLATES: Templates = {
  prompt_empty: (_params, l) => t(l, 'request.prompt_empty', { max: MAX_PROMPT_CHARS }),

  prompt_too_long: ({ length, max }, l) => t(l, 'request.prompt_too_long', { length, max, over: tn(l, 'count.characters', length - max) }),

  invalid_model: ({ model }, l) => t(l, 'request.invalid_model', { model: quote(model) }),

  images_required: ({ model, min }, l) => {
    const rules = isModelId(model) ? MODELS[model] : undefined;
    const max = rules?.maxImages ?? min;
    const textModels = otherModels(model, (id) => MODELS[id].minImages === 0);
    const params = { model, images: tn(l, 'count.referenceImages', min), min, max };
    return textModels.length > 0 ? t(l, 'request.images_required.alt', { ...params, models: textModels.join(' / ') }) : t(l, 'request.images_required', params);
  },

  too_many_images: ({ model, max, count }, l) => {
    const roomy = otherModels(model, (id) => MODELS[id].maxImages >= count);
    const params = { model, maxImages: tn(l, 'count.images', max), count, removeImages: tn(l, 'count.images', count - max) };
    return roomy.length > 0
      ? t(l, 'request.too_many_images.alt', { ...params, models: roomy.join(' / '), roomMax: MODELS[roomy[0]!].maxImages })
      : t(l, 'request.too_many_images', params);
  },

  duration_out_of_range: ({ model, min, max, duration }, l) => {
    const fits = otherModels(model, (id) => MODELS[id].minDuration <= duration && duration <= MODELS[id].maxDuration);
    const params = { model, min, max, duration };
    return fits.length > 0 && Number.isInteger(duration)
      ? t(l, 'request.duration_out_of_range.alt', { ...params, models: listOr(l, fits) })
      : t(l, 'request.duration_out_of_range', params);
  },

  invalid_resolution: ({ value }, l) => t(l, 'request.invalid_resolution', { value: quote(value), options: listOr(l, RESOLUTIONS) }),

  invalid_aspect_ratio: ({ value }, l) => t(l, 'request.invalid_aspect_ratio', { value: quote(value), examples: listOr(l, ASPECT_RATIO_SUGGESTIONS) }),

  invalid_seed: ({ value, min, max }, l) => t(l, 'request.invalid_seed', { min, max, value: quote(String(value), 24) }),

  unknown_subject: ({ names, attached }, l) => {
    const example = [...(names[0] ?? 'name')].slice(0, 12).join('');
    return t(l, 'request.unknown_subject', {
      names: quotedList(
        l,
        names.map((n) => `@${n}`),
        18,
        60,
      ),
      example1: quote(`${example}.png`),
      example2: quote(`${example}-2.png`),
      attached:
        attached.length > 0 ? t(l, 'request.unknown_subject.attached', { files: quotedList(l, attached, 16, 75) }) : t(l, 'request.unknown_subject.none'),
    });
  },

  subject_too_many_images: ({ name, max, count }, l) =>
    t(l, 'request.subject_too_many_images', { subject: quote(`@${name}`, 34), count, max, name: quote(name, 32) }),

  image_too_large: ({ filename, size, max }, l) =>
    t(l, 'request.image_too_large', { filename: quote(filename, 60), size: megabytes(size), max: megabytes(max) }),

  needs_audio: ({ option }, l) => t(l, 'request.needs_audio', { option: `\`${option}\`` }),

  invalid_audio_type: ({ value }, l) =>
    t(l, 'request.invalid_audio_type', { value: quote(value), options: listOr(l, ['all', 'speech_only', 'sound-effect_only']) }),

  not_an_image: ({ filename }, l) => t(l, 'request.not_an_image', { filename: quote(filename, 60), max: megabytes(MAX_IMAGE_BYTES) }),
};

function render<C extends RequestErrorCode>(code: C, params: RequestErrorParams[C], locale: Locale): string {
  return (TEMPLATES[code] as (p: RequestErrorParams[C], l: Locale) => string)(params, locale);
}

function renderEnglish<C extends RequestErrorCode>(code: C, params: RequestErrorParams[C]): string {
  return render(code, params, 'en-US');
}

/** Safety net for templates with unusual params; the templates themselves are sized to fit. */
function bounded(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_REQUEST_ERROR_MESSAGE_CHARS ? text : `${chars.slice(0, MAX_REQUEST_ERROR_MESSAGE_CHARS - 1).join('')}…`;
}

/**
 * What is wrong with the request and what to change, in `locale` (a Discord locale name such as
 * `ja`; resolved by `resolveLocale`, so an unknown one reads `en-US`). At most
 * {@link MAX_REQUEST_ERROR_MESSAGE_CHARS} characters.
 */
export function describeRequestError(err: RequestError, locale = 'en-US'): string {
  return bounded(render(err.code, err.params, resolveLocale(locale)));
}
