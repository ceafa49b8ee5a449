import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderProgress } from '../../src/render/render.js';
import { messageText } from '../e2e/world.js';
import { record } from '../tasks/records.js';

/**
 * The escape applied to member text (here: the prompt on a job card) never leaves live Discord
 * markup: no mention (user, role, channel, slash command, @everyone/@here), no masked link, no
 * code fence.
 *
 * RETARGET: today the escape is private to src/render/render.ts, so it is reached through the
 * card that shows the prompt. Once src/render/escape.ts exists, replace the next line with
 * `import { escapeMarkdown as escape } from '../../src/render/escape.js';` (one line).
 */
const escape = (text: string): string => cardText(text);

const OWNER = '222222222222222222';
const base = record({ interaction: { userId: OWNER } });
/** Every text on the job card of a prompt, minus the card's own `<@owner>` mention. */
function cardText(prompt: string): string {
  const card = renderProgress({ ...base, request: { ...base.request, prompt } });
  return messageText({ content: '', components: card.components }).replaceAll(`<@${OWNER}>`, '');
}

/** What Discord would still parse as markup: escaped punctuation (`\x`) is literal text. */
export function liveMarkup(rendered: string): string[] {
  const literal = rendered.replace(/\\[^\p{L}\p{N}\s]/gu, '\uE000');
  const rules: [string, RegExp][] = [
    ['user mention', /<@!?\d+>/],
    ['role mention', /<@&\d+>/],
    ['channel mention', /<#\d+>/],
    ['slash command mention', /<\/[^<>:\n]+:\d+>/],
    ['@everyone/@here', /@(everyone|here)/],
    ['masked link', /\[[^\]\n]*\]\(\s*<?[a-z][a-z0-9+.-]*:[^)\n]*\)/i],
    ['code fence', /```/],
  ];
  return rules.filter(([, re]) => re.test(literal)).map(([name]) => name);
}

/** Text that is full of the pieces markup is made of. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<@',
        '<@!',
        '<@&',
        '<#',
        '</',
        '>',
        ':',
        '@',
        'everyone',
        'here',
        '[',
        ']',
        '(',
        ')',
        '`',
        '```',
        '\\',
        '*',
        '_',
        '~',
        '|',
        '#',
        '-',
        ' ',
        '\n',
      ),
      fc.constantFrom('123456789012345678', 'vidu', 'https://evil.example/x', 'click'),
      fc.string({ maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('escape (property)', () => {
  it('the checker itself sees live markup in raw text', () => {
    expect(liveMarkup('hi <@123> [x](https://a.b) ``` </vidu:1> @everyone')).toEqual([
      'user mention',
      'slash command mention',
      '@everyone/@here',
      'masked link',
      'code fence',
    ]);
    expect(liveMarkup('\\<@123> \\[x\\](https://a.b) \\`\\`\\`')).toEqual([]);
  });

  it('never leaves a live mention, masked link or code fence', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 60 })), (text) => {
        fc.pre(text.trim() !== '');
        expect(liveMarkup(escape(text)), JSON.stringify(text)).toEqual([]);
      }),
      { numRuns: 2_000 },
    );
  });
});
