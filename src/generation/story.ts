/**
 * `/vidu-story`: 2–6 prompts → one request per clip. The first clip is text-to-video; every
 * later one is image-to-video from the previous clip's last frame (as Continue does), so the
 * model must take a first frame (`imageRole: 'frames'`). The frame itself is only known when the
 * previous clip is done (src/tasks/story.ts fills it in). Pure, table-tested
 * (test/generation/story.test.ts).
 */
import { t } from '../i18n/index.js';
import { describeRequestError, RequestError } from './errors.js';
import { MODELS, isModelId } from './models.js';
import { buildGenerationRequest, type BuildGenerationRequestOptions, type GenerationRequest, type RawVideoOptions } from './request.js';

/** Fewest clips a story has (one clip is a plain `/vidu`). */
export const MIN_CLIPS = 2;
/** Most clips a story has (the issue: "up to six prompts"). */
export const MAX_CLIPS = 6;

/** Why a story cannot be made; a member-facing refusal by {@link describeStoryError}. */
export class StoryError extends Error {
  override name = 'StoryError';
  constructor(
    readonly code: 'too_few' | 'too_many' | 'model_no_frames' | 'clip',
    readonly detail: { count?: number; model?: string; clip?: number; cause?: RequestError } = {},
  ) {
    super(`story refused: ${code}`);
  }
}

/** The options shared by every clip (the prompts aside), as read from the command. */
export type StoryOptions = Omit<RawVideoOptions, 'prompt' | 'images' | 'seed' | 'audioType'>;

/**
 * One request per prompt, in order. Throws {@link StoryError}: fewer than {@link MIN_CLIPS} or
 * more than {@link MAX_CLIPS} prompts, a model that cannot start from a frame, or the first
 * problem of any clip (`clip`, with the clip's number and the {@link RequestError}).
 */
export function buildStoryRequests(prompts: readonly string[], options: StoryOptions, build: BuildGenerationRequestOptions = {}): GenerationRequest[] {
  if (prompts.length < MIN_CLIPS) throw new StoryError('too_few', { count: prompts.length });
  if (prompts.length > MAX_CLIPS) throw new StoryError('too_many', { count: prompts.length });
  if (options.model && isModelId(options.model) && MODELS[options.model].imageRole !== 'frames') {
    throw new StoryError('model_no_frames', { model: options.model });
  }
  return prompts.map((prompt, i) => {
    let request: GenerationRequest;
    try {
      request = buildGenerationRequest({ ...options, prompt, images: [] }, build);
    } catch (err) {
      if (err instanceof RequestError) throw new StoryError('clip', { clip: i + 1, cause: err });
      throw err;
    }
    if (i === 0) return request;
    // Later clips start from a frame: the frame decides the aspect ratio (pro/turbo drop it).
    return { ...request, mode: 'image-to-video', aspectRatio: undefined, aspectRatioDropped: request.aspectRatio !== undefined };
  });
}

/** The member-facing refusal, in `locale`: says what to change. */
export function describeStoryError(err: StoryError, locale = 'en-US'): string {
  switch (err.code) {
    case 'too_few':
      return t(locale, 'story.tooFew', { min: MIN_CLIPS });
    case 'too_many':
      return t(locale, 'story.tooMany', { max: MAX_CLIPS, count: err.detail.count ?? 0 });
    case 'model_no_frames':
      return t(locale, 'story.modelNoFrames', { model: err.detail.model ?? '' });
    case 'clip':
      return t(locale, 'story.clipProblem', { clip: err.detail.clip ?? 0, problem: err.detail.cause ? describeRequestError(err.detail.cause, locale) : '' });
  }
}
