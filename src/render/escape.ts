/**
 * How member and upstream text (prompts, file names, subject names, what Vidu said) is shown in
 * a Discord message. Discord renders markdown in message content and Text Displays, so a
 * prompt could otherwise carry a masked link (`[free nitro](https://evil)`), a heading, a code
 * fence that swallows the rest of the card, or a mention (`@everyone`, `<@id>`, `<@&role>`,
 * `<#channel>`). {@link escapeMarkdown} is the one escape for markdown text; {@link codeText}
 * is its counterpart for text placed inside our own code spans and blocks, where backslashes
 * do not escape. {@link excerpt} bounds the length first (escape after cutting, never before,
 * so an escape is never cut in half).
 *
 * Pinging is prevented separately (allowed_mentions `parse: []` on every payload and as the
 * Client default); this module makes sure the text does not even *look* like a mention or link.
 */

/**
 * Characters that are invisible or reorder text: C0/C1 controls (newline and tab kept),
 * zero-width space, direction marks, bidi embeddings/overrides/isolates, word joiner, BOM.
 * ZWJ/ZWNJ (U+200D/U+200C) stay: emoji sequences and Persian script need them.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;
/** What else a reader cannot see on its own: whitespace, joiners, Braille blank, Hangul fillers. */
// eslint-disable-next-line no-misleading-character-class -- each code point is matched on its own, joiners included
const BLANK = /[\s\u200c\u200d\u2800\u3164\uffa0\u115f\u1160]/g;

/** Markdown-significant characters, escaped with a backslash (Discord honours `\` before any of them). */
const MARKDOWN = /([\\*_~`|>#[\]()<-])/g;

/**
 * A bare http(s) URL, up to whitespace, angle brackets or a backtick: a backtick inside `<…>` could
 * still open a code span, so it is left outside the link and escaped (the property test found it).
 * It also ends before `@everyone` / `@here`, which then get the zero-width space like anywhere
 * else rather than riding inside the link (the property test found that too).
 */
const BARE_URL = /https?:\/\/(?:(?!@(?:everyone|here))[^\s<>`])+/gi;

/** Removes invisible and bidi-control characters (newlines and tabs stay). */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/**
 * Whether `text` has nothing a reader could see once invisible and control characters and
 * whitespace are removed (a prompt like that is refused: Vidu would get an empty prompt).
 */
export function isBlank(text: string): boolean {
  return stripInvisible(text).replace(BLANK, '') === '';
}

/** Whitespace flattened to single spaces, cut to `maxChars` code points with `…` (emoji never split). */
export function excerpt(text: string, maxChars: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= maxChars ? chars.join('') : `${chars.slice(0, maxChars - 1).join('')}…`;
}

function escapePlain(text: string): string {
  return (
    text
      .replace(MARKDOWN, '\\$1')
      // @everyone / @here: a zero-width space keeps them from reading as mentions. (Other
      // mentions need `<@…>`, and `<` is escaped above.)
      .replace(/@(everyone|here)/gi, '@\u200b$1')
  );
}

/**
 * Member or upstream text as it was written, safe in Discord markdown: every markdown
 * character escaped (masked links, headings, subtext, quotes, lists, spoilers, code fences),
 * mentions and `<…>` tokens (users, roles, channels, emoji, timestamps) neutralised, invisible
 * and bidi characters removed, and bare links wrapped in `<…>` so they do not unfurl an embed.
 */
export function escapeMarkdown(text: string): string {
  const clean = stripInvisible(text);
  let out = '';
  let last = 0;
  for (const match of clean.matchAll(BARE_URL)) {
    out += escapePlain(clean.slice(last, match.index));
    // Inside <…> Discord takes the URL literally: no markdown, no embed.
    out += `<${match[0]}>`;
    last = match.index + match[0].length;
  }
  return out + escapePlain(clean.slice(last));
}

/**
 * Text for inside a code span or block of ours: backticks are dropped (so the text cannot
 * close the span), invisible characters go; without `multiline` newlines become spaces.
 */
export function codeText(text: string, options: { multiline?: boolean } = {}): string {
  const clean = stripInvisible(text).replace(/`/g, '');
  return options.multiline ? clean : clean.replace(/[\r\n]+/g, ' ');
}

/** `text` as inline code, cut to `maxChars` code points: how member values are quoted in refusals. */
export function inlineCode(text: string, maxChars = 40): string {
  const chars = [...codeText(text)];
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : chars.join('');
  return `\`${shown}\``;
}
