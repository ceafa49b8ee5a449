import { z } from 'zod';
import { DURATION_RANGE_S, MODEL_IDS, RESOLUTIONS, type ModelId, type Resolution } from '../generation/models.js';
import { joinList, listOr, t } from '../i18n/index.js';

/** What a server lets members do about off-peak generation (`/vidu-admin off_peak policy:`). */
export const OFF_PEAK_POLICIES = ['allow', 'forbid', 'force'] as const;
export type OffPeakPolicy = (typeof OFF_PEAK_POLICIES)[number];

/**
 * Per-server settings, set by admins through /vidu-admin. Every limit starts empty: a fresh
 * install refuses nothing a valid request asks for (DESIGN: limits are opt-in).
 */
export const GuildSettingsSchema = z.object({
  /** Channels where /vidu may run; empty = everywhere. */
  allowedChannels: z.array(z.string()).default([]),
  /** Roles that may use /vidu; empty = everyone. */
  allowedRoles: z.array(z.string()).default([]),
  defaults: z
    .object({
      model: z.enum(MODEL_IDS).optional(),
      resolution: z.enum(RESOLUTIONS).optional(),
      duration: z.number().int().min(DURATION_RANGE_S.min).max(DURATION_RANGE_S.max).optional(),
    })
    .default({}),
  caps: z
    .object({
      /** Models members may use; empty = all. */
      models: z.array(z.enum(MODEL_IDS)).default([]),
      maxResolution: z.enum(RESOLUTIONS).optional(),
      maxDuration: z.number().int().min(DURATION_RANGE_S.min).max(DURATION_RANGE_S.max).optional(),
    })
    .default({ models: [] }),
  /** Weighted video-seconds one member may use per UTC day. */
  memberDailyLimit: z.number().int().positive().optional(),
  /** Weighted video-seconds the whole server may use per UTC day. */
  serverDailyBudget: z.number().int().positive().optional(),
  /** Seconds a member waits between two jobs. */
  cooldownSeconds: z.number().int().positive().optional(),
  /** `private` makes every reply ephemeral (results are then delivered by DM after 15 min). */
  replies: z.enum(['public', 'private']).default('public'),
  paused: z.boolean().default(false),
  /**
   * Off-peak generation (`/vidu off_peak`: made within 48 h for fewer credits), set with
   * `/vidu-admin off_peak`: `allow` (members choose), `forbid` (refused), `force` (every job).
   */
  offPeak: z.enum(OFF_PEAK_POLICIES).default('allow'),
  /** Where admins are warned (e.g. out of credits); unset = DM to the server owner. */
  alertChannelId: z.string().optional(),
  /**
   * Set when the stored settings could not be read and were replaced by paused defaults (fail
   * closed, src/store/settings.ts): when (ms), and whether the admins have been told. Kept in the
   * store so the admins are told once per incident, by whichever process serves the server,
   * across restarts. Cleared by `/vidu-admin resume`.
   */
  failedClosed: z.object({ at: z.number(), alerted: z.boolean().default(false) }).optional(),
});
export type GuildSettings = z.infer<typeof GuildSettingsSchema>;

export const DEFAULT_SETTINGS: GuildSettings = GuildSettingsSchema.parse({});

/**
 * What a job weighs: video seconds × model weight. viduq3-pro costs about twice viduq3-turbo
 * upstream (toapis-vidu.md §7); these weights are the one place that says so.
 */
export const MODEL_WEIGHTS: Record<ModelId, number> = {
  'viduq3-turbo': 1,
  viduq3: 1.5,
  'viduq3-pro': 2,
};

/**
 * The request as the server's off-peak policy makes it: under `force` every job with audio on is
 * off-peak (one place for every entry point: /vidu, re-roll, edit, continue, animate, storyboard).
 * A job with audio off is refused by {@link checkCaps} instead, since off-peak needs audio.
 */
export function withOffPeakPolicy<R extends { audio: boolean; offPeak?: true }>(settings: GuildSettings, request: R): R {
  return settings.offPeak === 'force' && request.audio && request.offPeak !== true ? { ...request, offPeak: true } : request;
}

export function jobWeight(request: { model: ModelId; duration: number }): number {
  return Math.ceil(request.duration * MODEL_WEIGHTS[request.model]);
}

const RES_ORDER: Record<Resolution, number> = { '540p': 0, '720p': 1, '1080p': 2 };

export type SettingsRefusal =
  | { code: 'paused' }
  | { code: 'channel'; allowed: string[] }
  | { code: 'role'; allowed: string[] }
  | { code: 'model'; model: ModelId; allowed: ModelId[] }
  | { code: 'resolution'; resolution: Resolution; max: Resolution }
  | { code: 'duration'; duration: number; max: number }
  | { code: 'off_peak_forbidden' }
  | { code: 'off_peak_needs_audio' };

/** Checks that need no I/O: paused, where, who, and the caps. */
export function checkAccess(
  settings: GuildSettings,
  who: { channelId: string; parentChannelId?: string | null; roleIds: readonly string[]; isAdmin: boolean },
): SettingsRefusal | undefined {
  if (settings.paused) return { code: 'paused' };
  if (who.isAdmin) return undefined;
  if (settings.allowedChannels.length > 0) {
    const here = [who.channelId, who.parentChannelId].filter(Boolean) as string[];
    if (!here.some((c) => settings.allowedChannels.includes(c))) return { code: 'channel', allowed: settings.allowedChannels };
  }
  if (settings.allowedRoles.length > 0 && !who.roleIds.some((r) => settings.allowedRoles.includes(r))) {
    return { code: 'role', allowed: settings.allowedRoles };
  }
  return undefined;
}

export function checkCaps(
  settings: GuildSettings,
  request: { model: ModelId; resolution: Resolution; duration: number; audio?: boolean; offPeak?: boolean },
): SettingsRefusal | undefined {
  const caps = settings.caps;
  if (settings.offPeak === 'forbid' && request.offPeak === true) return { code: 'off_peak_forbidden' };
  if (settings.offPeak === 'force' && request.audio === false) return { code: 'off_peak_needs_audio' };
  if (caps.models.length > 0 && !caps.models.includes(request.model)) return { code: 'model', model: request.model, allowed: caps.models };
  if (caps.maxResolution && RES_ORDER[request.resolution] > RES_ORDER[caps.maxResolution]) {
    return { code: 'resolution', resolution: request.resolution, max: caps.maxResolution };
  }
  if (caps.maxDuration !== undefined && request.duration > caps.maxDuration) return { code: 'duration', duration: request.duration, max: caps.maxDuration };
  return undefined;
}

/** The member-facing sentence for a refusal, in `locale` (a Discord locale; default en-US); says what to change. */
export function describeSettingsRefusal(r: SettingsRefusal, locale = 'en-US'): string {
  switch (r.code) {
    case 'paused':
      return t(locale, 'rules.paused');
    case 'channel':
      return t(locale, 'rules.channel', {
        channels: joinList(
          locale,
          r.allowed.map((c) => `<#${c}>`),
        ),
      });
    case 'role':
      return t(locale, 'rules.role', {
        roles: joinList(
          locale,
          r.allowed.map((id) => `<@&${id}>`),
        ),
      });
    case 'model':
      return t(locale, 'rules.model', { model: r.model, models: listOr(locale, r.allowed) });
    case 'resolution':
      return t(locale, 'rules.resolution', { max: r.max });
    case 'duration':
      return t(locale, 'rules.duration', { max: r.max });
    case 'off_peak_forbidden':
      return t(locale, 'rules.offPeakForbidden');
    case 'off_peak_needs_audio':
      return t(locale, 'rules.offPeakNeedsAudio');
  }
}
