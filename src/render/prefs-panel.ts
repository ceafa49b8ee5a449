import { ButtonStyle, ComponentType, MessageFlags, type APIComponentInContainer, type APISelectMenuOption } from 'discord.js';
import { ASPECT_RATIO_SUGGESTIONS, GENERATION_DEFAULTS, MODEL_IDS, RESOLUTIONS } from '../generation/models.js';
import { t } from '../i18n/index.js';
import { applyDefaults, describeDefaultNote, type TypedOptions } from '../settings/effective.js';
import { AUDIO_TYPES, type MemberPrefs } from '../settings/member.js';
import type { GuildSettings } from '../settings/settings.js';
import type { MessagePayload } from './render.js';

/** custom_id prefix of the panel's selects and buttons: `prefs:<action>:<field?>:<userId>`. */
export const PREFS_PREFIX = 'prefs';
/** The value of a select's "not set" option. */
export const NOT_SET = '-';

/** The member defaults a select sets, in panel order. */
export const PREF_FIELDS = ['model', 'resolution', 'duration', 'aspectRatio', 'audio', 'audioType', 'offPeak', 'privateReplies'] as const;
export type PrefField = (typeof PREF_FIELDS)[number];

/** Where the panel is shown: what the server allows there. */
export interface PanelContext {
  userId: string;
  locale: string;
  settings: GuildSettings;
  inGuild: boolean;
  /** The server lets members ask for off-peak generation. */
  offPeakAllowed: boolean;
}

/** Whether a field is offered here: off-peak only where allowed; private replies only in a server that replies publicly. */
export function fieldOffered(field: PrefField, where: Pick<PanelContext, 'inGuild' | 'offPeakAllowed' | 'settings'>): boolean {
  if (field === 'offPeak') return where.offPeakAllowed;
  if (field === 'privateReplies') return where.inGuild && where.settings.replies === 'public';
  return true;
}

const DURATIONS = Array.from({ length: 16 }, (_, i) => i + 1);

/** The choices of each select as `[value, label]`; values are what {@link parsePrefValue} reads. */
function choices(field: PrefField, locale: string): [string, string][] {
  const onOff: [string, string][] = [
    ['on', t(locale, 'prefs.on')],
    ['off', t(locale, 'prefs.off')],
  ];
  switch (field) {
    case 'model':
      return MODEL_IDS.map((m) => [m, m]);
    case 'resolution':
      return RESOLUTIONS.map((r) => [r, r]);
    case 'duration':
      return DURATIONS.map((d) => [String(d), t(locale, 'prefs.seconds', { s: d })]);
    case 'aspectRatio':
      return ASPECT_RATIO_SUGGESTIONS.map((r) => [r, r]);
    case 'audioType':
      return AUDIO_TYPES.map((a) => [a, t(locale, `prefs.audioType.${a}`)]);
    case 'audio':
    case 'offPeak':
    case 'privateReplies':
      return onOff;
  }
}

/** The stored value of a field as a select value, or {@link NOT_SET}. */
function currentValue(field: PrefField, prefs: MemberPrefs): string {
  const v = prefs[field];
  if (v === undefined) return NOT_SET;
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

/**
 * A select value back to the stored value (`undefined` = clear), or `null` when the value is not
 * one the panel offers (a forged or stale interaction). Validated again by the repository's zod.
 */
export function parsePrefValue(field: PrefField, value: string): MemberPrefs[PrefField] | undefined | null {
  if (value === NOT_SET) return undefined;
  if (!choices(field, 'en-US').some(([v]) => v === value)) return null;
  if (field === 'duration') return Number(value);
  if (field === 'audio' || field === 'offPeak' || field === 'privateReplies') return value === 'on';
  return value;
}

/** What an unset field falls back to, as the placeholder says it. */
function fallback(field: PrefField, ctx: PanelContext): string {
  const d = ctx.settings.defaults;
  const nothingTyped: TypedOptions = { model: null, duration: null, resolution: null, aspectRatio: null, audio: null };
  const filled = applyDefaults(nothingTyped, {} as MemberPrefs, ctx.settings, {
    imageCount: 0,
    inGuild: ctx.inGuild,
  }).options;
  const source = (fromServer: boolean) => t(ctx.locale, fromServer ? 'prefs.source.server' : 'prefs.source.builtIn');
  switch (field) {
    case 'model':
      return `${filled.model ?? GENERATION_DEFAULTS.model} (${source(d.model !== undefined)})`;
    case 'resolution':
      return `${filled.resolution ?? GENERATION_DEFAULTS.resolution} (${source(d.resolution !== undefined)})`;
    case 'duration':
      return `${t(ctx.locale, 'prefs.seconds', { s: filled.duration ?? GENERATION_DEFAULTS.duration })} (${source(d.duration !== undefined)})`;
    case 'aspectRatio':
      return t(ctx.locale, 'prefs.ratioAuto');
    case 'audio':
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a constant today; the text follows it if the default changes
      return t(ctx.locale, GENERATION_DEFAULTS.audio ? 'prefs.on' : 'prefs.off');
    case 'audioType':
      return t(ctx.locale, 'prefs.audioType.all');
    case 'offPeak':
    case 'privateReplies':
      return t(ctx.locale, 'prefs.off');
  }
}

/** Builds the `prefs:` custom_id of a panel control. */
export function prefsId(action: 'set' | 'pings' | 'reset', userId: string, field?: PrefField): string {
  return [PREFS_PREFIX, action, ...(field ? [field] : []), userId].join(':');
}

/**
 * The `/vidu-settings` panel (Components V2, ephemeral): one select per default, with "not set"
 * (placeholder: what applies instead), a pings toggle and a reset button. Everything it needs to
 * act is in the custom_ids and the store, so it keeps working after a restart. Pure.
 */
export function renderPrefsPanel(prefs: MemberPrefs, ctx: PanelContext): MessagePayload {
  const { locale } = ctx;
  const notes = applyDefaults({ model: null, duration: null, resolution: null, aspectRatio: null, audio: null }, prefs, ctx.settings, {
    imageCount: 0,
    inGuild: ctx.inGuild,
  }).notes;
  const children: APIComponentInContainer[] = [{ type: ComponentType.TextDisplay, content: `${t(locale, 'prefs.title')}\n-# ${t(locale, 'prefs.help')}` }];
  if (ctx.inGuild && ctx.settings.replies === 'private') children.push({ type: ComponentType.TextDisplay, content: `-# ${t(locale, 'prefs.privateForced')}` });
  if (notes.length > 0) {
    children.push({ type: ComponentType.TextDisplay, content: notes.map((n) => `ℹ️ ${describeDefaultNote(n, locale)}`).join('\n') });
  }
  for (const field of PREF_FIELDS) {
    if (!fieldOffered(field, ctx)) continue;
    const current = currentValue(field, prefs);
    const name = t(locale, `prefs.field.${field}`);
    const options: APISelectMenuOption[] = [
      { label: t(locale, 'prefs.notSet'), value: NOT_SET, description: fallback(field, ctx).slice(0, 100), default: current === NOT_SET },
      ...choices(field, locale).map(([value, label]) => ({ label: label.slice(0, 100), value, default: value === current })),
    ];
    children.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: prefsId('set', ctx.userId, field),
          placeholder: name.slice(0, 150),
          options,
          min_values: 1,
          max_values: 1,
        },
      ],
    });
    // Which select is which: Discord shows only the chosen option, so name it above.
    children.splice(children.length - 1, 0, { type: ComponentType.TextDisplay, content: `-# ${name}` });
  }
  children.push({
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: prefs.pings ? ButtonStyle.Success : ButtonStyle.Secondary,
        label: t(locale, prefs.pings ? 'prefs.button.pingsOn' : 'prefs.button.pingsOff'),
        custom_id: prefsId('pings', ctx.userId),
      },
      { type: ComponentType.Button, style: ButtonStyle.Danger, label: t(locale, 'prefs.button.reset'), custom_id: prefsId('reset', ctx.userId) },
    ],
  });
  return {
    flags: MessageFlags.IsComponentsV2 | MessageFlags.Ephemeral,
    allowed_mentions: { parse: [] },
    components: [{ type: ComponentType.Container, accent_color: 0x5865f2, components: children }],
  };
}
