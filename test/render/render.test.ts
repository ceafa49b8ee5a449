import { describe, expect, it } from 'vitest';
import { toUserFacing } from '../../src/errors.js';
import type { RawVideoOptions } from '../../src/generation/request.js';
import {
  PROMPT_EXCERPT_CHARS,
  describeSettings,
  progressLine,
  renderDmNotice,
  renderFinal,
  renderProgress,
  renderRefusal,
  type MessagePayload,
} from '../../src/render/render.js';
import { FAILURE_CODES, type TaskRecord } from '../../src/tasks/record.js';
import { UpstreamAuthError } from '../../src/upstream/errors.js';
import { taskPhase } from '../../src/upstream/schemas.js';
import { record as baseRecord } from '../tasks/records.js';

const CREATED = 1_700_000_000_000;
const STARTED = '<t:1700000000:R>';
const USER = '222222222222222222';
const VIDEO_URL = 'https://files.toapis.com/videos/task_abc/output.mp4';

/** Component type numbers (discord-api-types v10). */
const T = { ActionRow: 1, Button: 2, TextDisplay: 10, MediaGallery: 12, Container: 17 } as const;

function rec(raw: Partial<RawVideoOptions> = {}, patch: Partial<TaskRecord> = {}): TaskRecord {
  return baseRecord({ raw, now: CREATED }, patch);
}

function png(filename: string) {
  return { id: filename, filename, size: 1000, contentType: 'image/png', url: `https://cdn.discordapp.com/a/1/${filename}` };
}

type Node = {
  type: number;
  content?: string;
  components?: Node[];
  items?: { media: { url: string }; description?: string }[];
  url?: string;
  style?: number;
  label?: string;
  custom_id?: string;
  accent_color?: number;
};

/** Every component in the payload, depth first. */
function walk(payload: MessagePayload): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    out.push(n);
    for (const c of n.components ?? []) visit(c);
  };
  for (const c of payload.components as unknown as Node[]) visit(c);
  return out;
}

/** All Text Display contents, joined by newlines. */
function texts(payload: MessagePayload): string[] {
  return walk(payload)
    .filter((n) => n.type === T.TextDisplay)
    .map((n) => n.content!);
}
const allText = (p: MessagePayload) => texts(p).join('\n');

/** `label → custom_id` of the job buttons (Re-roll, Edit, …), in order. */
function jobButtons(payload: MessagePayload): [string, string][] {
  return walk(payload)
    .filter((n) => n.type === T.Button && n.custom_id !== undefined)
    .map((n) => [n.label!, n.custom_id!]);
}
const linkButtons = (payload: MessagePayload) => walk(payload).filter((n) => n.type === T.Button && n.style === 5);

const running = (status: string, progress: number) =>
  rec({}, { state: 'running', upstream: { taskId: 'task_abc', status, phase: taskPhase(status), progress, submittedAt: CREATED + 2_000 } });

const videoOutcome = (extra: { expiresAt?: number; url?: string } = {}) =>
  ({ kind: 'video', url: extra.url ?? VIDEO_URL, completedAt: CREATED + 100_000, ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}) }) as const;

describe('describeSettings', () => {
  it('text-to-video on defaults', () => {
    expect(describeSettings(rec().request)).toBe('viduq3-turbo · text-to-video · 5 s · 720p · audio on · seed 42');
  });

  it('every option given', () => {
    const r = rec({ model: 'viduq3-pro', duration: 8, resolution: '1080p', aspectRatio: '9:16', audio: false, seed: 7 });
    expect(describeSettings(r.request)).toBe('viduq3-pro · text-to-video · 8 s · 1080p · 9:16 · silent · seed 7');
  });

  it('image-to-video with a dropped aspect ratio', () => {
    const r = rec({ model: 'viduq3-pro', aspectRatio: '16:9', images: [png('start.png')] });
    expect(describeSettings(r.request)).toBe('viduq3-pro · image-to-video · 5 s · 720p · ratio from image · audio on · 1 image · seed 42');
  });

  it('first & last frame', () => {
    const r = rec({ images: [png('a.png'), png('b.png')] });
    expect(describeSettings(r.request)).toBe('viduq3-turbo · first & last frame · 5 s · 720p · audio on · 2 images · seed 42');
  });

  it('multi-reference with subjects', () => {
    const r = rec({ model: 'viduq3', prompt: '@cat meets @dog', images: [png('cat.png'), png('dog.png'), png('park.png')] });
    expect(describeSettings(r.request)).toBe('viduq3 · multi-reference · 5 s · 720p · audio on · 3 images · subjects @cat @dog · seed 42');
  });
});

describe('progressLine per state', () => {
  it.each([
    ['accepted, no images', rec(), `⏳ Submitting… · started ${STARTED}`],
    ['accepted, one image', rec({ images: [png('a.png')] }), `⏳ Preparing 1 image… · started ${STARTED}`],
    ['accepted, two images', rec({ images: [png('a.png'), png('b.png')] }), `⏳ Preparing 2 images… · started ${STARTED}`],
    ['submitting', rec({}, { state: 'submitting' }), `⏳ Submitting to Vidu… · started ${STARTED}`],
    ['running without upstream yet', rec({}, { state: 'running' }), `🕒 Queued at Vidu · started ${STARTED}`],
    ['running queued', running('queued', 0), `🕒 Queued at Vidu · started ${STARTED}`],
    ['running submitted', running('submitted', 0), `🕒 Queued at Vidu · started ${STARTED}`],
    ['running pending', running('pending', 0), `🕒 Queued at Vidu · started ${STARTED}`],
    ['running in_progress 0%', running('in_progress', 0), `🎬 Generating… · started ${STARTED}`],
    ['running in_progress 42.4%', running('in_progress', 42.4), `🎬 Generating · 42% · started ${STARTED}`],
    ['running in_progress 99.6%', running('in_progress', 99.6), `🎬 Generating · 100% · started ${STARTED}`],
    ['running, unknown status counts as running', running('rendering_frames', 10), `🎬 Generating · 10% · started ${STARTED}`],
    ['delivering a video', rec({}, { state: 'delivering', outcome: videoOutcome() }), '📦 Finishing · uploading the video…'],
    ['delivering a failure', rec({}, { state: 'delivering', outcome: { kind: 'failed', code: 'timed_out' } }), '⚠️ Finishing…'],
    ['done', rec({}, { state: 'done' }), ''],
  ])('%s', (_name, r, line) => {
    expect(progressLine(r)).toBe(line);
  });

  it('equal states give equal lines and a progress change gives a new line', () => {
    expect(progressLine(running('in_progress', 40))).toBe(progressLine(running('in_progress', 40)));
    expect(progressLine(running('in_progress', 40))).not.toBe(progressLine(running('in_progress', 41)));
  });
});

describe('renderProgress', () => {
  const r = running('in_progress', 55);
  const p = renderProgress(r);

  it('is a Components V2 message without content', () => {
    expect(p.flags).toBe(32768);
    expect(p).not.toHaveProperty('content');
    expect(p).not.toHaveProperty('embeds');
    expect(p).not.toHaveProperty('attachments');
    expect(p.components).toHaveLength(1);
    expect(p.components[0]).toMatchObject({ type: T.Container, accent_color: 0x5865f2 });
  });

  it('shows the prompt, the settings, the requester and the status line', () => {
    expect(texts(p)).toEqual([
      '**a red fox running through snow**',
      `-# viduq3-turbo · text-to-video · 5 s · 720p · audio on · seed 42 · requested by <@${USER}>`,
      `🎬 Generating · 55% · started ${STARTED}`,
    ]);
  });

  it('pings nobody', () => {
    expect(p.allowed_mentions).toEqual({ parse: [] });
  });

  it('adds the DM notice when delivery moved to DM', () => {
    const dm = renderDmNotice(r);
    expect(texts(dm).at(-1)).toBe(
      `🎬 Generating · 55% · started ${STARTED}\n-# This is taking longer than Discord lets me edit this reply — I’ll send the result to you by DM.`,
    );
    expect(renderProgress({ ...r, reply: { ...r.reply, dmNotice: true } })).toEqual(dm);
    expect(allText(p)).not.toContain('by DM');
  });

  it('names the parent job or message under the settings', () => {
    const reroll = { ...r, parent: { id: '9001', kind: 'reroll' as const } };
    expect(texts(renderProgress(reroll))[2]).toBe('-# ↩ Re-roll of job `9001`');
    const animate = {
      ...r,
      parent: { id: '9002', kind: 'animate' as const, messageUrl: 'https://discord.com/channels/1/2/3' },
    };
    expect(texts(renderProgress(animate))[2]).toBe('-# ↩ Animated from https://discord.com/channels/1/2/3');
    expect(texts(p)).toHaveLength(3);
  });

  it('is pure: the same record renders the same payload', () => {
    expect(renderProgress(r)).toEqual(p);
  });
});

describe('prompt text in messages', () => {
  it('escapes Discord markdown and defuses @mentions', () => {
    const r = rec({ prompt: '**bold** _it_ ~~gone~~ `code` ||spoiler|| # title > quote [link](https://x.y) @everyone a\\b' });
    const first = texts(renderProgress(r))[0]!;
    expect(first).toBe(
      '**\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~ \\`code\\` \\|\\|spoiler\\|\\| \\# title \\> quote \\[link\\]\\(<https://x.y)> @\u200beveryone a\\\\b**',
    );
    expect(first).not.toContain('@everyone');
  });

  it('flattens newlines so the prompt cannot start a heading, list or quote', () => {
    const r = rec({ prompt: 'line one\n# heading\n- item\n> quote' });
    expect(texts(renderProgress(r))[0]).toBe('**line one \\# heading \\- item \\> quote**');
  });

  it('cuts a 5000-character prompt so all Text Displays stay under 4000 characters', () => {
    for (const prompt of ['a'.repeat(5000), '*'.repeat(5000), '@x '.repeat(1666), 'word '.repeat(1000)]) {
      const r = rec({ prompt });
      expect(r.request.prompt.length).toBeGreaterThan(PROMPT_EXCERPT_CHARS);
      for (const p of [
        renderProgress(r),
        renderDmNotice(r),
        renderFinal({ ...r, state: 'done', outcome: videoOutcome() }, { fileName: 'v.mp4' }),
        renderFinal({ ...r, state: 'done', outcome: videoOutcome({ expiresAt: CREATED + 86_400_000 }) }, { linkReason: { kind: 'upload_failed' } }),
        renderFinal({ ...r, state: 'done', outcome: { kind: 'failed', code: 'bad_request', detail: 'x'.repeat(600) } }),
      ]) {
        expect(allText(p).length).toBeLessThan(4000);
      }
    }
  });

  it('shows the first 999 characters and an ellipsis of a long prompt', () => {
    const r = rec({ prompt: 'a'.repeat(5000) });
    expect(texts(renderProgress(r))[0]).toBe(`**${'a'.repeat(PROMPT_EXCERPT_CHARS - 1)}…**`);
  });

  // Cutting by UTF-16 units would leave a lone surrogate (invalid Unicode) in the message.
  it('never splits an emoji when it cuts a long prompt', () => {
    const r = rec({ prompt: '🦊'.repeat(600) });
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(allText(renderProgress(r))).not.toMatch(loneSurrogate);
  });
});

describe('renderFinal: video', () => {
  const done = rec({}, { state: 'done', outcome: videoOutcome() });

  it('attached: a Media Gallery pointing at the attachment, and the attachment entry', () => {
    const p = renderFinal(done, { fileName: 'vidu-123.mp4' });
    expect(p.flags).toBe(32768);
    expect(p).not.toHaveProperty('content');
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.components[0]).toMatchObject({ type: T.Container, accent_color: 0x3ba55c });
    const gallery = walk(p).find((n) => n.type === T.MediaGallery);
    expect(gallery?.items).toEqual([{ media: { url: 'attachment://vidu-123.mp4' }, description: 'a red fox running through snow' }]);
    expect(p.attachments).toEqual([{ id: '0', filename: 'vidu-123.mp4', description: 'a red fox running through snow' }]);
    expect(texts(p)).toEqual([
      '**a red fox running through snow**',
      `-# viduq3-turbo · text-to-video · 5 s · 720p · audio on · seed 42 · requested by <@${USER}>`,
      '-# ✅ Done in 1m 40s',
    ]);
    expect(allText(p)).not.toContain(VIDEO_URL);
    expect(linkButtons(p)).toEqual([]);
  });

  it('carries the job buttons, keyed by the job id, Continue only for a video', () => {
    const id = done.id;
    const expected: [string, string][] = [
      ['Re-roll', `job:reroll:${id}`],
      ['Edit & re-run', `job:edit:${id}`],
      ['Continue', `job:continue:${id}`],
      ['Details', `job:details:${id}`],
      ['Delete', `job:delete:${id}`],
    ];
    expect(jobButtons(renderFinal(done, { fileName: 'v.mp4' }))).toEqual(expected);
    expect(jobButtons(renderFinal(done, { linkReason: { kind: 'upload_failed' } }))).toEqual(expected);
    // While it waits, the card carries only Stop (issue 12).
    const waiting = running('in_progress', 50);
    expect(jobButtons(renderProgress(waiting))).toEqual([['Stop', `job:stop:${waiting.id}`]]);
  });

  it('formats short durations in seconds', () => {
    const quick = rec({}, { state: 'done', outcome: { kind: 'video', url: VIDEO_URL, completedAt: CREATED + 42_400 } });
    expect(texts(renderFinal(quick, { fileName: 'v.mp4' })).at(-1)).toBe('-# ✅ Done in 42s');
  });

  it('too large: says both sizes in MB, shows the URL and a Link button, attaches nothing', () => {
    const p = renderFinal(done, { linkReason: { kind: 'too_large', sizeBytes: 31_457_280, limitBytes: 10_485_760 } });
    expect(texts(p).at(-1)).toBe(
      `✅ Done in 1m 40s. The video is 30.0 MB, over the 10.0 MB upload limit here, so it is linked instead of attached.\n<${VIDEO_URL}>`,
    );
    expect(linkButtons(p)).toEqual([{ type: T.Button, style: 5, label: 'Open video', url: VIDEO_URL }]);
    expect(walk(p).some((n) => n.type === T.MediaGallery)).toBe(false);
    expect(p.attachments).toEqual([]);
  });

  it('upload failed: says so, with the link expiry when known', () => {
    const expiring = rec({}, { state: 'done', outcome: videoOutcome({ expiresAt: 1_700_086_400_000 }) });
    const p = renderFinal(expiring, { linkReason: { kind: 'upload_failed' } });
    expect(texts(p).at(-1)).toBe(
      `✅ Done in 1m 40s. The video could not be uploaded to Discord, so it is linked instead. The link works until <t:1700086400:f>.\n<${VIDEO_URL}>`,
    );
  });

  it('no delivery info at all falls back to the link', () => {
    const p = renderFinal(done);
    expect(allText(p)).toContain(VIDEO_URL);
    expect(linkButtons(p).map((b) => b.url)).toEqual([VIDEO_URL]);
  });

  // Discord rejects a Link button URL over 512 characters (50035), which would lose the whole
  // final message; signed CDN URLs can be that long.
  it.each([
    [512, 1],
    [513, 0],
    [700, 0],
  ])('a %i-character URL gets %i Link button(s) and always stays in the text', (length, buttons) => {
    const prefix = 'https://files.toapis.com/videos/out.mp4?sig=';
    const url = prefix + 'a'.repeat(length - prefix.length);
    const r = rec({}, { state: 'done', outcome: videoOutcome({ url }) });
    const p = renderFinal(r, { linkReason: { kind: 'upload_failed' } });
    expect(linkButtons(p)).toHaveLength(buttons);
    for (const button of linkButtons(p)) expect(button.url!.length).toBeLessThanOrEqual(512);
    expect(texts(p).at(-1)!.endsWith(`\n<${url}>`)).toBe(true);
  });

  it('throws when the record has no outcome', () => {
    expect(() => renderFinal(rec())).toThrow(/without an outcome/);
  });
});

describe('renderFinal: failures', () => {
  const failed = (code: (typeof FAILURE_CODES)[number], detail?: string, patch: Partial<TaskRecord> = {}) =>
    renderFinal(rec({}, { state: 'done', updatedAt: CREATED + 65_000, outcome: { kind: 'failed', code, ...(detail ? { detail } : {}) }, ...patch }));

  it.each([
    ['invalid_input', 'This request can’t be used'],
    ['bad_request', 'Vidu rejected the request'],
    ['misconfigured', 'The bot is not set up correctly'],
    ['out_of_credits', 'The video service is out of credits'],
    ['content_refused', 'Vidu refused this content'],
    ['upstream_unavailable', 'The video service is unavailable right now'],
    ['generation_failed', 'Vidu could not generate this video'],
    ['timed_out', 'Timed out waiting for Vidu'],
    ['images_unavailable', 'Your images could not be read'],
    ['video_unavailable', 'The finished video could not be fetched'],
  ] as const)('%s → “%s”', (code, title) => {
    const p = failed(code);
    expect(p.flags).toBe(32768);
    expect(p.components[0]).toMatchObject({ type: T.Container, accent_color: 0xed4245 });
    const body = texts(p).at(-1)!;
    expect(body.startsWith(`❌ **${title}**\n-# `)).toBe(true);
    expect(body.split('\n')).toHaveLength(2);
    expect(walk(p).some((n) => n.type === T.MediaGallery)).toBe(false);
    expect(linkButtons(p)).toEqual([]);
    expect(jobButtons(p).map(([label]) => label)).toEqual(['Try again', 'Edit & re-run', 'Details', 'Delete']);
  });

  it('has a distinct title and hint for every failure code', () => {
    const bodies = FAILURE_CODES.map((code) => texts(failed(code)).at(-1)!);
    expect(new Set(bodies.map((b) => b.split('\n')[0])).size).toBe(FAILURE_CODES.length);
    expect(new Set(bodies.map((b) => b.split('\n')[1])).size).toBe(FAILURE_CODES.length);
  });

  it('shows the detail between the title and the hint, and the upstream task id', () => {
    const p = failed('content_refused', 'Vidu said: “prompt violates policy”', {
      upstream: { taskId: 'task_xyz', status: 'failed', phase: 'failed', progress: 0, submittedAt: CREATED + 1_000 },
    });
    expect(texts(p).at(-1)).toBe(
      '❌ **Vidu refused this content**\nVidu said: “prompt violates policy”\n-# Rephrase the prompt or use other images, then try again.\n-# Task `task_xyz`',
    );
  });

  it('misconfigured never shows what the upstream said about the key', () => {
    const err = new UpstreamAuthError({
      requestPath: '/v1/videos/generations',
      status: 401,
      upstreamMessage: 'Invalid API key sk-live-abc123 for account acme-prod',
    });
    const ufe = toUserFacing(err, ['sk-live-abc123']);
    expect(ufe.code).toBe('misconfigured');
    expect(ufe.detail).toBeUndefined();
    const p = failed(ufe.code, ufe.detail);
    expect(texts(p).at(-1)).toBe('❌ **The bot is not set up correctly**\n-# A server admin needs to check the bot’s toapis API key. You were not charged.');
    expect(JSON.stringify(p)).not.toContain('sk-live');
    expect(JSON.stringify(p)).not.toContain('acme-prod');
  });
});

describe('renderRefusal', () => {
  it('is an ephemeral plain message that pings nobody', () => {
    expect(renderRefusal('You already have 3 videos in progress.')).toEqual({
      content: '⚠️ You already have 3 videos in progress.',
      flags: 64,
      // The camelCase form: discord.js's reply() reads `allowedMentions` and drops `allowed_mentions`.
      allowedMentions: { parse: [] },
    });
  });

  it('stays within 2000 characters', () => {
    const r = renderRefusal('x'.repeat(5000));
    expect(r.content).toHaveLength(2000);
    expect(r.content.startsWith('⚠️ xxx')).toBe(true);
    expect(r.flags & 32768).toBe(0);
  });
});
