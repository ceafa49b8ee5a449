import { describe, expect, it } from 'vitest';
import { CATALOGS, LOCALES, joinList, listOr, resolveLocale, t, tn, type MessageKey } from '../../src/i18n/index.js';

const en = CATALOGS['en-US'];
const keys = Object.keys(en).sort() as MessageKey[];
const translated = LOCALES.filter((l) => l !== 'en-US');

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const codeSpans = (text: string) => [...text.matchAll(/`[^`]*`/g)].map((m) => m[0]).sort();
const boldMarks = (text: string) => text.split('**').length - 1;
/** A leading emoji (⏳, ✅, 💳 …) is part of the line's meaning and stays first. */
const leadingSymbol = (text: string) => /^(\p{Extended_Pictographic}\uFE0F?)/u.exec(text)?.[1];

describe('catalogs', () => {
  it.each(translated)('%s has exactly the en-US keys', (locale) => {
    expect(Object.keys(CATALOGS[locale]).sort()).toEqual(keys);
  });

  it.each(translated)('%s has the same {placeholders} as en-US, key by key', (locale) => {
    const catalog = CATALOGS[locale];
    const mismatched = keys.filter((k) => JSON.stringify(placeholders(catalog[k])) !== JSON.stringify(placeholders(en[k])));
    expect(mismatched).toEqual([]);
  });

  it.each(translated)('%s keeps code spans, bold markers and leading emoji as written', (locale) => {
    const catalog = CATALOGS[locale];
    for (const k of keys) {
      expect.soft(codeSpans(catalog[k]), k).toEqual(codeSpans(en[k]));
      expect.soft(boldMarks(catalog[k]), k).toBe(boldMarks(en[k]));
      expect.soft(leadingSymbol(catalog[k]), k).toBe(leadingSymbol(en[k]));
    }
  });

  it.each(translated)('%s translates every sentence (no English left in longer texts, nothing empty)', (locale) => {
    const catalog = CATALOGS[locale];
    expect(keys.filter((k) => catalog[k].trim() === '' && en[k].trim() !== '')).toEqual([]);
    expect(keys.filter((k) => en[k].length > 30 && catalog[k] === en[k])).toEqual([]);
  });

  it('every .one key has its .other', () => {
    const ones = keys.filter((k) => k.endsWith('.one'));
    expect(ones.length).toBeGreaterThan(0);
    for (const k of ones) expect(keys).toContain(k.replace(/\.one$/, '.other'));
  });
});

describe('resolveLocale', () => {
  it.each([
    ['en-US', 'en-US'],
    ['zh-CN', 'zh-CN'],
    ['ja', 'ja'],
    ['ko', 'ko'],
    ['es-ES', 'es-ES'],
    ['es-419', 'es-ES'],
    ['en-GB', 'en-US'],
    ['zh-TW', 'en-US'],
    ['fr', 'en-US'],
    ['pt-BR', 'en-US'],
    ['', 'en-US'],
    ['JA', 'en-US'],
  ] as const)('%s → %s', (discord, locale) => {
    expect(resolveLocale(discord)).toBe(locale);
  });
});

describe('t and tn', () => {
  it('fills placeholders, and unknown locales read en-US', () => {
    expect(t('en-US', 'card.seed', { seed: 42 })).toBe('seed 42');
    expect(t('ja', 'card.seed', { seed: 42 })).toBe('シード 42');
    expect(t('fr', 'card.seed', { seed: 42 })).toBe('seed 42');
  });

  it('inserts values literally: a value that looks like a placeholder is not filled again', () => {
    expect(t('en-US', 'card.requestedBy', { user: '{user}' })).toBe('requested by {user}');
  });

  it('chooses .one for 1 and .other otherwise', () => {
    expect(tn('en-US', 'count.images', 1)).toBe('1 image');
    expect(tn('en-US', 'count.images', 0)).toBe('0 images');
    expect(tn('en-US', 'count.images', 2)).toBe('2 images');
    expect(tn('es-ES', 'count.images', 2)).toBe('2 imágenes');
    expect(tn('ko', 'count.images', 2)).toBe('이미지 2장');
  });

  it('joins lists the locale’s way', () => {
    expect(listOr('en-US', ['a', 'b', 'c'])).toBe('a, b or c');
    expect(listOr('zh-CN', ['a', 'b', 'c'])).toBe('a、b 或 c');
    expect(listOr('es-ES', ['a', 'b'])).toBe('a o b');
    expect(listOr('ja', ['a'])).toBe('a');
    expect(joinList('ja', ['a', 'b'])).toBe('a、b');
  });
});
