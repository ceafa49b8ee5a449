import { en } from './en-US.js';
import { es } from './es-ES.js';
import { ja } from './ja.js';
import { ko } from './ko.js';
import { zh } from './zh-CN.js';

/** The locales with a catalog, as Discord names them; `en-US` is the source and the fallback. */
export const LOCALES = ['en-US', 'zh-CN', 'ja', 'ko', 'es-ES'] as const;
export type Locale = (typeof LOCALES)[number];

export type MessageKey = keyof typeof en;
/** A catalog other than English: exactly the English keys (a missing or extra key is a type error). */
export type Catalog = Record<MessageKey, string>;

/** Every catalog, by locale. */
export const CATALOGS: Readonly<Record<Locale, Catalog>> = { 'en-US': en, 'zh-CN': zh, ja, ko, 'es-ES': es };

/** Discord locales that read another locale's catalog. Anything else (en-GB included) reads en-US. */
const ALIASES: Readonly<Record<string, Locale>> = { 'es-419': 'es-ES' };

/** The catalog a Discord locale (`interaction.locale`, e.g. `ja`, `en-GB`) reads. */
export function resolveLocale(discordLocale: string): Locale {
  return (LOCALES as readonly string[]).includes(discordLocale) ? (discordLocale as Locale) : (ALIASES[discordLocale] ?? 'en-US');
}

/** `{name}` placeholders of an English template, as a union of names. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
export type Params<K extends MessageKey> = Record<Placeholders<(typeof en)[K]>, string | number>;
/** The params argument: required when the template has placeholders, absent otherwise. */
type ParamArgs<K extends MessageKey> = [Placeholders<(typeof en)[K]>] extends [never] ? [] : [params: Params<K>];

/** Keys whose text has no placeholders. */
export type PlainKey = { [K in MessageKey]: [Placeholders<(typeof en)[K]>] extends [never] ? K : never }[MessageKey];

/** Keys that come as a `.one` / `.other` pair, without the suffix. */
export type PluralKey = {
  [K in MessageKey]: K extends `${infer B}.one` ? (`${B}.other` extends MessageKey ? B : never) : never;
}[MessageKey];

type OtherKey<K extends PluralKey> = `${K}.other` & MessageKey;
/** A plural pair's params other than `{count}` (which is the count itself). */
type PluralParamArgs<K extends PluralKey> = [Exclude<Placeholders<(typeof en)[OtherKey<K>]>, 'count'>] extends [never]
  ? []
  : [params: Omit<Params<OtherKey<K>>, 'count'>];

function fill(template: string, params: Readonly<Record<string, string | number>> | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/**
 * The text of `key` in `locale` (a Discord locale name, resolved with {@link resolveLocale}),
 * with `{name}` placeholders filled from `params`.
 */
export function t<K extends MessageKey>(locale: string, key: K, ...params: ParamArgs<K>): string {
  return fill(CATALOGS[resolveLocale(locale)][key], params[0]);
}

/** `key.one` when `count` is 1, else `key.other`; `{count}` is filled with `count`. */
export function tn<K extends PluralKey>(locale: string, key: K, count: number, ...params: PluralParamArgs<K>): string {
  const full = `${key}.${count === 1 ? 'one' : 'other'}` as MessageKey;
  return fill(CATALOGS[resolveLocale(locale)][full], { ...params[0], count });
}

/** Items joined the locale's way: `a, b` (en), `a、b` (ja, zh). */
export function joinList(locale: string, items: readonly string[]): string {
  return items.join(t(locale, 'list.separator'));
}

/** `a, b or c` in the locale's words. */
export function listOr(locale: string, items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return t(locale, 'list.or', { items: joinList(locale, items.slice(0, -1)), last: items[items.length - 1]! });
}
