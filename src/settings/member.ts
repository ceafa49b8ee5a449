import { z } from 'zod';
import { MODEL_IDS, RESOLUTIONS } from '../generation/models.js';
import { absentIfCorrupt, type Family } from '../store/family.js';

/** The upstream's audio types (DESIGN contract additions: `/vidu audio_type`), hyphen included. */
export const AUDIO_TYPES = ['all', 'speech_only', 'sound-effect_only'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];

/**
 * A member's own defaults, set with `/vidu-settings`, used when they omit an option. Every field
 * is optional ("not set": fall through to the server's default, then the built-in one) except
 * `pings`, which defaults to on: the requester is pinged once when a result lands unless they
 * turned that off (DESIGN).
 */
export const MemberPrefsSchema = z.object({
  model: z.enum(MODEL_IDS).optional(),
  /** Seconds. */
  duration: z.number().int().min(1).max(16).optional(),
  resolution: z.enum(RESOLUTIONS).optional(),
  /** `W:H`, as `/vidu aspect_ratio` accepts it. */
  aspectRatio: z
    .string()
    .regex(/^[1-9]\d{0,3}:[1-9]\d{0,3}$/)
    .optional(),
  audio: z.boolean().optional(),
  audioType: z.enum(AUDIO_TYPES).optional(),
  /** Ask for off-peak generation (only honoured where the server allows it). */
  offPeak: z.boolean().optional(),
  /** Ping the member when a result lands. Default true. */
  pings: z.boolean().default(true),
  /** Ephemeral replies (only honoured where the server allows them). */
  privateReplies: z.boolean().optional(),
});
export type MemberPrefs = z.infer<typeof MemberPrefsSchema>;

/** A member with nothing set. */
export const DEFAULT_MEMBER_PREFS: MemberPrefs = MemberPrefsSchema.parse({});

/** The store key of a member's defaults. */
export const memberPrefsKey = (userId: string): string => `prefs:${userId}`;

/**
 * A member's defaults, keyed by Discord user id (one set per person, the same in every server,
 * DM and user install), over the store's `memberPrefs` family (src/store/member-prefs.ts).
 * Values that no longer parse read as "nothing set" rather than failing the member's command.
 */
export function createMemberPrefs(options: { family: Family<string, MemberPrefs> }) {
  const read = async (userId: string): Promise<MemberPrefs> => (await options.family.get(userId).catch(absentIfCorrupt)) ?? DEFAULT_MEMBER_PREFS;
  return {
    /** The member's defaults ({@link DEFAULT_MEMBER_PREFS} when none are stored). */
    get: read,
    /**
     * Applies `change` to the stored defaults (read fresh), validates and writes them. A field
     * set to `undefined` is cleared.
     */
    async update(userId: string, change: (p: MemberPrefs) => Partial<MemberPrefs>): Promise<MemberPrefs> {
      const current = await read(userId);
      const next = MemberPrefsSchema.parse(JSON.parse(JSON.stringify({ ...current, ...change(current) })));
      await options.family.set(userId, next);
      return next;
    },
    /** Forgets every default of the member. */
    async clear(userId: string): Promise<void> {
      await options.family.delete(userId);
    },
  };
}

export type MemberPrefsRepo = ReturnType<typeof createMemberPrefs>;

/** Longest a command waits for the member's defaults before acknowledging, ms (Discord allows 3 s). */
export const PREFS_BEFORE_ACK_MS = 500;

/**
 * The member's defaults for a command that must still answer inside Discord's 3 s: when the store
 * is slow or down they read as nothing set, and the store-backed member gate that follows gives
 * the member the clear "storage unavailable" refusal.
 */
export async function prefsBeforeAck(family: Family<string, MemberPrefs>, userId: string, timeoutMs = PREFS_BEFORE_ACK_MS): Promise<MemberPrefs> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<MemberPrefs>((resolve) => {
    timer = setTimeout(() => resolve(DEFAULT_MEMBER_PREFS), timeoutMs);
  });
  try {
    return await Promise.race([
      createMemberPrefs({ family })
        .get(userId)
        .catch(() => DEFAULT_MEMBER_PREFS),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
