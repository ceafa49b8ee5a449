import { describe, expect, it } from 'vitest';
import { buildGenerationRequest } from '../../src/generation/request.js';
import { applyDefaults, describeDefaultNote, offPeakAllowed, type TypedOptions } from '../../src/settings/effective.js';
import { DEFAULT_MEMBER_PREFS, MemberPrefsSchema, type MemberPrefs } from '../../src/settings/member.js';
import {
  DEFAULT_SETTINGS,
  GuildSettingsSchema,
  checkCaps,
  describeSettingsRefusal,
  withOffPeakPolicy,
  type GuildSettings,
} from '../../src/settings/settings.js';

const none: TypedOptions = { model: null, duration: null, resolution: null, aspectRatio: null, audio: null };
const prefs = (p: Partial<MemberPrefs>) => MemberPrefsSchema.parse(p);
const server = (s: Record<string, unknown>) => GuildSettingsSchema.parse(s);
const inGuild = { imageCount: 0, inGuild: true };

/** What the job would actually be: the filled options through the real request builder. */
function built(typed: TypedOptions, p: MemberPrefs, s: GuildSettings, where = inGuild) {
  const eff = applyDefaults(typed, p, s, where);
  return { eff, request: buildGenerationRequest({ prompt: 'a fox', images: [], ...eff.options }, { random: () => 0.5 }) };
}

describe('precedence: typed > member default > server default > built-in', () => {
  it.each<[string, Partial<TypedOptions>, Partial<MemberPrefs>, Record<string, unknown>, { model: string; resolution: string; duration: number }]>([
    ['nothing anywhere: built-in', {}, {}, {}, { model: 'viduq3-turbo', resolution: '720p', duration: 5 }],
    [
      'server default only',
      {},
      {},
      { defaults: { model: 'viduq3-pro', resolution: '1080p', duration: 8 } },
      { model: 'viduq3-pro', resolution: '1080p', duration: 8 },
    ],
    [
      'member default beats the server default',
      {},
      { model: 'viduq3-turbo', resolution: '540p', duration: 3 },
      { defaults: { model: 'viduq3-pro', resolution: '1080p', duration: 8 } },
      { model: 'viduq3-turbo', resolution: '540p', duration: 3 },
    ],
    [
      'typed beats the member default',
      { model: 'viduq3-pro', resolution: '1080p', duration: 10 },
      { model: 'viduq3-turbo', resolution: '540p', duration: 3 },
      {},
      { model: 'viduq3-pro', resolution: '1080p', duration: 10 },
    ],
    [
      'a partial member default falls through field by field',
      {},
      { resolution: '1080p' },
      { defaults: { duration: 12 } },
      { model: 'viduq3-turbo', resolution: '1080p', duration: 12 },
    ],
  ])('%s', (_name, typed, p, s, expected) => {
    const { eff, request } = built({ ...none, ...typed }, prefs(p), server(s));
    expect({ model: request.model, resolution: request.resolution, duration: request.duration }).toEqual(expected);
    expect(eff.notes).toEqual([]);
  });

  it('aspect ratio and audio come from the member default when omitted, typed values win', () => {
    const p = prefs({ aspectRatio: '9:16', audio: false });
    expect(built(none, p, DEFAULT_SETTINGS).request).toMatchObject({ aspectRatio: '9:16', audio: false });
    expect(built({ ...none, aspectRatio: '1:1', audio: true }, p, DEFAULT_SETTINGS).request).toMatchObject({ aspectRatio: '1:1', audio: true });
  });
});

describe('server caps always win, and a capped member default is reported', () => {
  it('resolution: "your default 1080p is above this server’s cap 720p; using 720p"', () => {
    const s = server({ caps: { maxResolution: '720p' } });
    const { eff, request } = built(none, prefs({ resolution: '1080p' }), s);
    expect(request.resolution).toBe('720p');
    expect(checkCaps(s, request)).toBeUndefined();
    expect(eff.notes).toEqual([{ code: 'resolution', yours: '1080p', using: '720p' }]);
    expect(describeDefaultNote(eff.notes[0]!)).toBe('Your default 1080p is above this server’s cap 720p; using 720p.');
    expect(describeDefaultNote(eff.notes[0]!, 'ja')).toContain('1080p');
  });

  it('duration over the cap is capped and reported', () => {
    const s = server({ caps: { maxDuration: 6 } });
    const { eff, request } = built(none, prefs({ duration: 12 }), s);
    expect(request.duration).toBe(6);
    expect(eff.notes).toEqual([{ code: 'duration', yours: 12, using: 6 }]);
  });

  it('a model no longer allowed is replaced by the server default when allowed, and reported', () => {
    const s = server({ caps: { models: ['viduq3-pro', 'viduq3-turbo'] }, defaults: { model: 'viduq3-pro' } });
    const p = prefs({ model: 'viduq3' });
    // viduq3 needs references: with 0 images the member default does not apply at all.
    expect(applyDefaults(none, p, s, inGuild).notes).toEqual([]);
    const s2 = server({ caps: { models: ['viduq3-pro'] } });
    const { eff, request } = built(none, prefs({ model: 'viduq3-turbo' }), s2);
    expect(request.model).toBe('viduq3-pro');
    expect(eff.notes).toEqual([{ code: 'model', yours: 'viduq3-turbo', using: 'viduq3-pro' }]);
  });

  it('a value within the caps is used as set, with nothing to report', () => {
    const s = server({ caps: { maxResolution: '1080p', maxDuration: 16 } });
    const { eff, request } = built(none, prefs({ resolution: '1080p', duration: 16 }), s);
    expect([request.resolution, request.duration]).toEqual(['1080p', 16]);
    expect(eff.notes).toEqual([]);
  });

  it('with no default set, the built-in value is fitted to the caps silently', () => {
    const s = server({ caps: { maxResolution: '540p', maxDuration: 4, models: ['viduq3-pro'] } });
    const { eff, request } = built(none, DEFAULT_MEMBER_PREFS, s);
    expect([request.model, request.resolution, request.duration]).toEqual(['viduq3-pro', '540p', 4]);
    expect(checkCaps(s, request)).toBeUndefined();
    expect(eff.notes).toEqual([]);
  });

  it('what the member typed is not changed: the caps check still refuses it', () => {
    const s = server({ caps: { maxResolution: '720p' } });
    const { eff, request } = built({ ...none, resolution: '1080p' }, prefs({ resolution: '540p' }), s);
    expect(eff.options.resolution).toBe('1080p');
    expect(checkCaps(s, request)).toEqual({ code: 'resolution', resolution: '1080p', max: '720p' });
  });
});

describe('off-peak, audio type and private replies', () => {
  it('off-peak from the default where the server allows it; reported where it does not', () => {
    const p = prefs({ offPeak: true, audioType: 'speech_only' });
    expect(applyDefaults(none, p, DEFAULT_SETTINGS, inGuild).options).toMatchObject({ offPeak: true, audioType: 'speech_only' });
    const refused = applyDefaults(none, p, server({ offPeak: 'forbid' }), inGuild);
    expect(refused.options.offPeak ?? null).toBeNull();
    expect(refused.notes).toEqual([{ code: 'off_peak' }]);
  });

  it('with audio off (typed), the audio-only defaults are left out rather than refused', () => {
    const eff = applyDefaults({ ...none, audio: false }, prefs({ offPeak: true, audioType: 'all' }), DEFAULT_SETTINGS, inGuild);
    expect(eff.options.offPeak ?? null).toBeNull();
    expect(eff.options.audioType ?? null).toBeNull();
  });

  it.each<[string, Partial<MemberPrefs>, 'public' | 'private', boolean, boolean]>([
    ['public server, no preference', {}, 'public', true, false],
    ['public server, member wants private', { privateReplies: true }, 'public', true, true],
    ['private server overrides the member', { privateReplies: false }, 'private', true, true],
    ['DM: the preference does not apply', { privateReplies: true }, 'public', false, false],
  ])('%s', (_name, p, replies, guild, ephemeral) => {
    expect(applyDefaults(none, prefs(p), server({ replies }), { imageCount: 0, inGuild: guild }).ephemeral).toBe(ephemeral);
  });
});

describe('offPeakAllowed', () => {
  it.each<[undefined | 'allow' | 'forbid' | 'force', boolean]>([
    [undefined, true],
    ['allow', true],
    ['forbid', false],
    ['force', false],
  ])('server off-peak policy %s → members may choose: %s', (policy, allowed) => {
    expect(offPeakAllowed(server(policy === undefined ? {} : { offPeak: policy }))).toBe(allowed);
  });
});

describe('the server off-peak policy (/vidu-admin off_peak) in the precedence', () => {
  const off = (o: Partial<TypedOptions>) => ({ ...none, offPeak: null, ...o });
  it.each<[string, 'allow' | 'forbid' | 'force', Partial<TypedOptions>, Partial<MemberPrefs>, boolean | null, string[]]>([
    ['allow: the member default applies', 'allow', {}, { offPeak: true }, true, []],
    ['allow: nothing set, not off-peak', 'allow', {}, {}, null, []],
    ['allow: typed false beats the default', 'allow', { offPeak: false }, { offPeak: true }, false, []],
    ['forbid: the member default is left out, with a note', 'forbid', {}, { offPeak: true }, null, ['off_peak']],
    ['forbid: typed true stays for the caps check to refuse', 'forbid', { offPeak: true }, {}, true, []],
    ['force: every job, with no default', 'force', {}, {}, true, []],
    ['force: the member default off does not matter', 'force', {}, { offPeak: false }, true, []],
    ['force: a default audio off is overridden (off-peak needs audio), with a note', 'force', {}, { audio: false }, true, ['off_peak_audio']],
    ['force: typed audio off is left for the caps check to refuse', 'force', { audio: false }, {}, null, []],
  ])('%s', (_name, policy, typed, p, offPeak, notes) => {
    const s = server({ offPeak: policy });
    const eff = applyDefaults(off(typed), prefs(p), s, inGuild);
    expect(eff.options.offPeak ?? null).toBe(offPeak);
    expect(eff.notes.map((n) => n.code)).toEqual(notes);
  });

  it('checkCaps refuses what the policy does not allow, and withOffPeakPolicy forces the rest', () => {
    const request = (o: { audio: boolean; offPeak?: true }) => ({ model: 'viduq3-turbo' as const, resolution: '720p' as const, duration: 5, ...o });
    expect(checkCaps(server({ offPeak: 'forbid' }), request({ audio: true, offPeak: true }))).toEqual({ code: 'off_peak_forbidden' });
    expect(checkCaps(server({ offPeak: 'forbid' }), request({ audio: true }))).toBeUndefined();
    expect(checkCaps(server({ offPeak: 'force' }), request({ audio: false }))).toEqual({ code: 'off_peak_needs_audio' });
    expect(checkCaps(server({ offPeak: 'allow' }), request({ audio: true, offPeak: true }))).toBeUndefined();
    expect(withOffPeakPolicy(server({ offPeak: 'force' }), request({ audio: true })).offPeak).toBe(true);
    expect(withOffPeakPolicy(server({ offPeak: 'allow' }), request({ audio: true })).offPeak).toBeUndefined();
    expect(describeSettingsRefusal({ code: 'off_peak_forbidden' })).toContain('does not allow off-peak');
    expect(describeDefaultNote({ code: 'off_peak_audio' })).toContain('your default audio off was not used');
  });
});
