/**
 * `/vidu-storyboard`: up to five shots → one viduq3-pro prompt. viduq3-pro makes multi-shot
 * videos from the prompt alone (toapis-vidu.md), so the shots are written out in order, each
 * with its camera when given. Pure, table-tested (test/generation/storyboard.test.ts).
 */
import { t } from '../i18n/index.js';
import { MAX_PROMPT_CHARS } from './models.js';

/** Most shots a storyboard takes (a Discord modal holds five inputs). */
export const MAX_SHOTS = 5;

export interface Shot {
  /** What happens in the shot. */
  action: string;
  /** How the camera moves or frames it, optional. */
  camera?: string;
}

/** Why a storyboard cannot be built; a member-facing refusal by {@link describeStoryboardError}. */
export class StoryboardError extends Error {
  override name = 'StoryboardError';
  constructor(
    readonly code: 'no_shots' | 'too_many_shots' | 'camera_without_action' | 'too_long',
    readonly detail: { shot?: number; length?: number; max?: number } = {},
  ) {
    super(`storyboard refused: ${code}`);
  }
}

/** A line of a shot input that gives the camera, in any of the five locales' words. */
const CAMERA_LINE = /^\s*(?:camera|cam|cámara|camara|镜头|カメラ|카메라|📷)\s*[:：]\s*(.*)$/iu;

const tidy = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * One modal input into a shot: a line starting with `Camera:` (or the member's language's word)
 * is the camera, everything else is what happens. Blank input → `undefined` (no shot).
 */
export function parseShotInput(text: string): Shot | undefined {
  const camera: string[] = [];
  const action: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = CAMERA_LINE.exec(line);
    if (m) camera.push(m[1] ?? '');
    else action.push(line);
  }
  const shot: Shot = { action: tidy(action.join(' ')) };
  const cam = tidy(camera.join(' '));
  if (cam) shot.camera = cam;
  return shot.action || shot.camera ? shot : undefined;
}

/** The sentence ending of a shot: keeps the member's own final punctuation. */
const sentence = (text: string) => (/[.!?。！？]$/u.test(text) ? text : `${text}.`);

/**
 * The prompt for `shots` (blank ones already dropped by {@link parseShotInput}; gaps between
 * filled inputs close up). Throws {@link StoryboardError} when there is no shot, more than
 * {@link MAX_SHOTS}, a camera with nothing happening, or a prompt over the 5000-character limit
 * (counted in code points, as the upstream counts).
 */
export function buildStoryboardPrompt(shots: readonly (Shot | undefined)[]): string {
  const filled = shots.filter((s): s is Shot => s !== undefined);
  if (filled.length === 0) throw new StoryboardError('no_shots');
  if (filled.length > MAX_SHOTS) throw new StoryboardError('too_many_shots', { max: MAX_SHOTS });
  const lines: string[] = [filled.length === 1 ? 'A single continuous shot.' : `A multi-shot video of ${filled.length} shots, cut in this order:`];
  filled.forEach((shot, i) => {
    if (!shot.action) throw new StoryboardError('camera_without_action', { shot: shots.indexOf(shot) + 1 });
    const camera = shot.camera ? ` Camera: ${sentence(shot.camera)}` : '';
    lines.push(`Shot ${i + 1}: ${sentence(shot.action)}${camera}`);
  });
  const prompt = lines.join('\n');
  const length = [...prompt].length;
  if (length > MAX_PROMPT_CHARS) throw new StoryboardError('too_long', { length, max: MAX_PROMPT_CHARS });
  return prompt;
}

/** The member-facing refusal, in `locale`: says what to change. */
export function describeStoryboardError(err: StoryboardError, locale = 'en-US'): string {
  switch (err.code) {
    case 'no_shots':
      return t(locale, 'storyboard.noShots');
    case 'too_many_shots':
      return t(locale, 'storyboard.tooManyShots', { max: err.detail.max ?? MAX_SHOTS });
    case 'camera_without_action':
      return t(locale, 'storyboard.cameraOnly', { shot: err.detail.shot ?? 0 });
    case 'too_long':
      return t(locale, 'storyboard.tooLong', {
        length: err.detail.length ?? 0,
        max: err.detail.max ?? MAX_PROMPT_CHARS,
        over: (err.detail.length ?? 0) - (err.detail.max ?? MAX_PROMPT_CHARS),
      });
  }
}
