import { describe, expect, it } from 'vitest';
import { codeText, escapeMarkdown, excerpt, inlineCode, isBlank, stripInvisible } from '../../src/render/escape.js';

/**
 * A small model of how Discord reads markdown, enough to tell whether escaped text still *does*
 * something: an unescaped markdown character, a mention token, an auto-embedding bare link.
 * Backslash-escaped characters and `<url>` autolinks are inert.
 */
function activeMarkup(shown: string): string[] {
  const found: string[] = [];
  // Drop autolinks we produced (<https://…>), then every backslash escape.
  const rest = shown.replace(/<https?:\/\/[^\s<>]+>/g, ' ').replace(/\\[^A-Za-z0-9\s]/g, ' ');
  if (/[*_~`|>#[\]()<]/.test(rest)) found.push(`markdown ${JSON.stringify(rest.match(/[*_~`|>#[\]()<]/)![0])}`);
  if (/(^|\n)\s*-/.test(rest)) found.push('subtext or list');
  if (/@(everyone|here)\b/.test(rest)) found.push('everyone/here');
  if (/https?:\/\//.test(rest)) found.push('bare link');
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u0000-\u0008]/.test(rest.replace(/@\u200b/g, '@'))) found.push('invisible');
  return found;
}

/** What a reader sees: escapes removed, our <…> around links removed, ZWSP after @ removed. */
function rendered(shown: string): string {
  return shown
    .replace(/<(https?:\/\/[^\s<>]+)>/g, '$1')
    .replace(/\\([^A-Za-z0-9\s])/g, '$1')
    .replace(/@\u200b/g, '@');
}

const HOSTILE: [string, string][] = [
  ['masked link', '[free nitro](https://evil.example/steal)'],
  ['masked link with a fake URL text', '[https://discord.com](https://evil.example)'],
  ['heading', '# BIG ANNOUNCEMENT'],
  ['small heading', '### also loud'],
  ['subtext', '-# tiny print'],
  ['block quote', '> quoted\n>>> everything after'],
  ['code fence', '```js\nbreak out of the card\n```'],
  ['inline code', 'run `rm -rf`'],
  ['bold/italic/underline/strike', '**bold** *it* __u__ ~~s~~'],
  ['spoiler', '||hidden||'],
  ['@everyone', 'hey @everyone look'],
  ['@here', '@here now'],
  ['user mention', 'ping <@123456789012345678>'],
  ['nickname mention', 'ping <@!123456789012345678>'],
  ['role mention', 'ping <@&123456789012345678>'],
  ['channel mention', 'see <#123456789012345678>'],
  ['slash command mention', 'use </vidu:123456789012345678>'],
  ['custom emoji', '<:pepe:123456789012345678> <a:dance:123456789012345678>'],
  ['timestamp', '<t:0:R>'],
  ['bare link', 'visit https://evil.example/page now'],
  ['http link', 'http://evil.example'],
  ['@everyone inside a link', 'https://evil.example/x@everyone and http://a.b/@HERE'],
  ['list', '- item\n* item\n1. item'],
  ['bidi override', 'abc\u202edcba.exe'],
  ['zero-width space mention', '@\u200beveryone'],
  ['backslash games', '\\*not bold\\* \\\\*bold?*'],
  ['emoji and joiners survive', '👩‍👩‍👧 a family'],
];

describe('escapeMarkdown: hostile strings', () => {
  it.each(HOSTILE)('%s: nothing stays active', (_name, input) => {
    expect(activeMarkup(escapeMarkdown(input))).toEqual([]);
  });

  // The detector itself must see the raw strings, or the test above proves nothing.
  it.each(HOSTILE.filter(([name]) => name !== 'emoji and joiners survive' && name !== 'zero-width space mention'))(
    '%s: is active before escaping',
    (_name, input) => {
      expect(activeMarkup(input)).not.toEqual([]);
    },
  );

  it.each(HOSTILE)('%s: the reader still sees the text as written', (_name, input) => {
    expect(rendered(escapeMarkdown(input))).toBe(stripInvisible(input).replace(/@\u200b/g, '@'));
  });

  it('keeps bare links readable but not embedding', () => {
    expect(escapeMarkdown('see https://a.example/x_y and more')).toBe('see <https://a.example/x_y> and more');
  });

  it('keeps newlines and emoji sequences', () => {
    expect(escapeMarkdown('line one\nline two 👩‍👩‍👧')).toBe('line one\nline two 👩‍👩‍👧');
  });

  it('leaves plain text alone', () => {
    expect(escapeMarkdown('A cat playing piano, camera slowly zooms in')).toBe('A cat playing piano, camera slowly zooms in');
  });
});

describe('codeText / inlineCode', () => {
  it.each([
    ['a `b` c', 'a b c'],
    ['```\nfence', ' fence'],
    ['x\u202ey', 'xy'],
  ])('%j cannot close a code span', (input, expected) => {
    expect(codeText(input)).toBe(expected);
    expect(inlineCode(input).slice(1, -1)).not.toContain('`');
  });

  it('keeps lines when asked (code blocks)', () => {
    expect(codeText('a\n```\nb', { multiline: true })).toBe('a\n\nb');
  });

  it('cuts inline code by code point with an ellipsis', () => {
    expect(inlineCode('😀'.repeat(50), 10)).toBe(`\`${'😀'.repeat(9)}…\``);
  });
});

describe('excerpt', () => {
  it('flattens whitespace and cuts by code point', () => {
    expect(excerpt('a\n\n b\tc', 100)).toBe('a b c');
    expect(excerpt('😀'.repeat(5), 3)).toBe('😀😀…');
    expect(excerpt('abc', 3)).toBe('abc');
  });
});

describe('isBlank', () => {
  it.each(['', '   ', '\u200b\u200b', '\u202e\u202d', '\u2800', '\u3164', '\u0000\u0007', '\n\t\u200d\ufeff'])('%j is blank', (s) => {
    expect(isBlank(s)).toBe(true);
  });
  it.each(['a', ' 猫 ', '😀', '.'])('%j is not blank', (s) => {
    expect(isBlank(s)).toBe(false);
  });
});
