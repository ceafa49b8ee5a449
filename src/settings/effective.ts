/**
 * Which value an omitted `/vidu` option takes — pure, table-tested (test/settings/effective.test.ts).
 *
 * Precedence: what the member typed > their own default (`/vidu-settings`) > the server's default
 * (`/vidu-admin`) > the built-in one. Server caps always win: a member's default a cap no longer
 * allows is replaced by what the cap allows and *reported* (a {@link DefaultNote}), never silently
 * changed in the store. What the member typed is not touched here: a typed value over a cap is
 * refused by the caps check as before.
 */
import { GENERATION_DEFAULTS, MODEL_IDS, MODELS, type ModelId, type Resolution } from '../generation/models.js';
import { t } from '../i18n/index.js';
import type { GuildSettings } from './settings.js';
import type { AudioType, MemberPrefs } from './member.js';

/** The options `/vidu` leaves `null` when the member did not type them. */
export interface TypedOptions {
  model: string | null;
  duration: number | null;
  resolution: string | null;
  aspectRatio: string | null;
  audio: boolean | null;
  /** `/vidu audio_type`, when that option exists (contract additions). */
  audioType?: string | null;
  /** `/vidu off_peak`, when that option exists (contract additions). */
  offPeak?: boolean | null;
}

/** A member default that the server's caps or rules did not allow, and what is used instead. */
export type DefaultNote =
  | { code: 'resolution'; yours: Resolution; using: Resolution }
  | { code: 'duration'; yours: number; using: number }
  | { code: 'model'; yours: ModelId; using: ModelId }
  | { code: 'off_peak' }
  | { code: 'off_peak_audio' };

export interface Effective<T extends TypedOptions> {
  /** The options with every omitted one filled (or left `null` for the built-in default). */
  options: T & { audioType?: AudioType | null; offPeak?: boolean | null };
  /** Reply privately (ephemeral). */
  ephemeral: boolean;
  /** What to tell the member about their defaults. */
  notes: DefaultNote[];
}

export interface Where {
  /** Number of attached images (decides which models can take the job). */
  imageCount: number;
  /** In a server (private replies are a server matter; DMs are private already). */
  inGuild: boolean;
}

const RES_ORDER: Record<Resolution, number> = { '540p': 0, '720p': 1, '1080p': 2 };

/** Whether a model takes this many images at all (viduq3 needs references; pro/turbo take 0–2). */
function fitsImages(model: ModelId, count: number): boolean {
  return count >= MODELS[model].minImages && count <= MODELS[model].maxImages;
}

/** The highest resolution within the cap that is not above `wanted`. */
function capResolution(wanted: Resolution, max: Resolution | undefined): Resolution {
  return max && RES_ORDER[wanted] > RES_ORDER[max] ? max : wanted;
}

/**
 * Fills the omitted options of one `/vidu` (or storyboard, story) from the member's defaults and
 * the server's settings. `typed` is returned with only its `null` fields changed.
 */
export function applyDefaults<T extends TypedOptions>(typed: T, prefs: MemberPrefs, settings: GuildSettings, where: Where): Effective<T> {
  const notes: DefaultNote[] = [];
  const caps = settings.caps;
  const modelAllowed = (m: ModelId) => caps.models.length === 0 || caps.models.includes(m);
  const out = { ...typed } as Effective<T>['options'];

  // Model: pro/turbo when ≤ 2 images, viduq3 needed from 3 (the request builder picks it then).
  if (out.model === null) {
    const candidates = [prefs.model, settings.defaults.model].filter((m): m is ModelId => m !== undefined && fitsImages(m, where.imageCount));
    const mine = prefs.model !== undefined && fitsImages(prefs.model, where.imageCount) ? prefs.model : undefined;
    const chosen = candidates.find(modelAllowed);
    if (mine && !modelAllowed(mine)) {
      const using = chosen ?? MODEL_IDS.find((m) => modelAllowed(m) && fitsImages(m, where.imageCount));
      if (using) notes.push({ code: 'model', yours: mine, using });
      out.model = using ?? null;
    } else {
      out.model = chosen ?? null;
    }
    // Nothing set and the built-in model is capped away: the first allowed model that fits.
    const builtIn: ModelId = where.imageCount > 2 ? GENERATION_DEFAULTS.modelForManyImages : GENERATION_DEFAULTS.model;
    if (out.model === null && !modelAllowed(builtIn)) out.model = MODEL_IDS.find((m) => modelAllowed(m) && fitsImages(m, where.imageCount)) ?? null;
  }

  if (out.resolution === null) {
    const mine = prefs.resolution;
    const wanted = mine ?? settings.defaults.resolution ?? GENERATION_DEFAULTS.resolution;
    const using = capResolution(wanted, caps.maxResolution);
    if (mine !== undefined && using !== mine) notes.push({ code: 'resolution', yours: mine, using });
    out.resolution = mine !== undefined || using !== GENERATION_DEFAULTS.resolution || settings.defaults.resolution ? using : null;
  }

  if (out.duration === null) {
    const mine = prefs.duration;
    const wanted = mine ?? settings.defaults.duration ?? GENERATION_DEFAULTS.duration;
    let using = caps.maxDuration !== undefined ? Math.min(wanted, caps.maxDuration) : wanted;
    if (mine !== undefined && using !== mine) notes.push({ code: 'duration', yours: mine, using });
    // Inside the chosen model's range (viduq3 starts at 3 s), silently: that is not a cap.
    const model = (out.model as ModelId | null) ?? (where.imageCount > 2 ? 'viduq3' : GENERATION_DEFAULTS.model);
    using = Math.max(MODELS[model].minDuration, Math.min(MODELS[model].maxDuration, using));
    out.duration = mine !== undefined || settings.defaults.duration !== undefined || using !== GENERATION_DEFAULTS.duration ? using : null;
  }

  const policy = settings.offPeak;
  if (out.aspectRatio === null && prefs.aspectRatio !== undefined) out.aspectRatio = prefs.aspectRatio;
  if (out.audio === null && prefs.audio !== undefined) {
    // A server that makes every video off-peak needs audio on: a default does not refuse the job.
    if (policy === 'force' && !prefs.audio) notes.push({ code: 'off_peak_audio' });
    else out.audio = prefs.audio;
  }
  const audioOn = out.audio ?? GENERATION_DEFAULTS.audio;

  // audio_type and off_peak only mean something with audio on; a default never makes a refusal.
  if ((out.audioType ?? null) === null && prefs.audioType !== undefined && audioOn) out.audioType = prefs.audioType;
  // Off-peak: the server's policy first. What the member typed is left for the caps check
  // (forbid) and for /vidu (force with off_peak:false), which refuse it clearly.
  if ((out.offPeak ?? null) === null && audioOn) {
    if (policy === 'force') out.offPeak = true;
    else if (prefs.offPeak === true) {
      if (policy === 'forbid') notes.push({ code: 'off_peak' });
      else out.offPeak = true;
    }
  }

  const ephemeral = settings.replies === 'private' || (where.inGuild && prefs.privateReplies === true);
  return { options: out, ephemeral, notes };
}

/**
 * Whether members of this server choose off-peak themselves (`/vidu-settings` offers it): only
 * under `allow` — `forbid` refuses it and `force` makes every job off-peak anyway.
 */
export function offPeakAllowed(settings: GuildSettings): boolean {
  return settings.offPeak === 'allow';
}

/** What the member is told about a default that was not used as set, in `locale`. */
export function describeDefaultNote(note: DefaultNote, locale = 'en-US'): string {
  switch (note.code) {
    case 'resolution':
      return t(locale, 'prefs.note.resolution', { yours: note.yours, cap: note.using });
    case 'duration':
      return t(locale, 'prefs.note.duration', { yours: note.yours, cap: note.using });
    case 'model':
      return t(locale, 'prefs.note.model', { yours: note.yours, using: note.using });
    case 'off_peak':
      return t(locale, 'prefs.note.offPeak');
    case 'off_peak_audio':
      return t(locale, 'prefs.note.offPeakAudio');
  }
}
