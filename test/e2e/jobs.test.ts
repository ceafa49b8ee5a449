import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { autocomplete, button, rawUser, slashCommand, type RawInteraction } from '../fakes/interactions.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';
/** Enough room for one member to run 8 jobs in a test. */
const ROOMY = { env: { VIDU_USER_SUBMITS_PER_MINUTE: '20', VIDU_USER_MAX_IN_FLIGHT: '10' } };

async function callback(w: World, raw: RawInteraction) {
  return w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
}

/** Runs /vidu to its final message. */
async function job(w: World, prompt: string, opts: { userId?: string } = {}) {
  const raw = w.vidu({ prompt, ...(opts.userId ? { user: rawUser({ id: opts.userId }) } : {}) });
  await w.discord.injectInteraction(raw);
  const message = await w.finalMessage(raw.token);
  // Discord shows the result a moment before the record says `done`.
  await w.delivered(raw.id);
  return { id: raw.id, raw, message };
}

/** The ephemeral `/vidu-jobs` message once it shows a list. */
async function jobsMessage(w: World, raw: RawInteraction): Promise<FakeMessage> {
  const cb = await callback(w, raw);
  expect(cb.type).toBe(5);
  const message = await w.discord.waitFor(() => {
    const m = w.discord.originalMessage(raw.token);
    return m && !m.loading ? m : undefined;
  });
  expect(message.ephemeral).toBe(true);
  return message;
}

/** An immediate ephemeral reply's text. */
async function ephemeralReply(w: World, raw: RawInteraction): Promise<string> {
  const cb = await callback(w, raw);
  expect(cb.type).toBe(4);
  const data = cb.data as { content: string; flags: number };
  expect(data.flags & 64).toBe(64);
  return data.content;
}

function buttons(message: FakeMessage): { custom_id: string; label: string; disabled?: boolean }[] {
  return (message.components as { components: { custom_id: string; label: string; disabled?: boolean }[] }[]).flatMap((row) => row.components);
}

const show = (id: string, opts: Partial<Parameters<typeof slashCommand>[0]> = {}) =>
  slashCommand({ name: 'vidu-show', options: [{ name: 'id', type: 3, value: id }], ...opts });
const url = (w: World, m: FakeMessage) => `https://discord.com/channels/${m.guildId ?? '@me'}/${m.channelId}/${m.id}`;

describe('/vidu-jobs', () => {
  it('lists only the member’s jobs, newest first, 5 a page: status, prompt, link and id; Prev/Next turn pages', async () => {
    world = await startWorld(ROOMY);
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'nope' });
    const done = [];
    for (let i = 1; i <= 6; i++) done.push(await job(world, `Job number ${i}: a lighthouse in a storm, waves crashing against the rocks below`));
    await job(world, 'Someone else’s job', { userId: OTHER_USER });
    // A 7th job still queued at Vidu.
    world.toapis.nextTasks.push({ queuedMs: 60_000 });
    const queued = world.vidu({ prompt: 'Job number 7 *bold* and `code`' });
    await world.discord.injectInteraction(queued);
    await world.discord.waitFor(
      () => /Queued at Vidu/.test(messageText(world!.discord.originalMessage(queued.token) ?? { content: '', components: [] })) || undefined,
    );

    const raw = slashCommand({ name: 'vidu-jobs' });
    await world.discord.injectInteraction(raw);
    const page1 = await jobsMessage(world, raw);
    const text1 = page1.content;
    expect(text1.split('\n')[0]).toBe('**Your recent jobs** · page 1 of 2 · 7 in all');
    expect(text1).toContain(`**1.** 🕒 Queued · “Job number 7 \\*bold\\* and \\\`code\\\`”`);
    expect(text1).toContain(`job \`${queued.id}\``);
    expect(text1).toContain('**2.** ✅ Done · “Job number 6: a lighthouse in a storm, waves crashing again…”');
    expect(text1).toContain(`[message](${url(world, done[5]!.message)}) · job \`${done[5]!.id}\``);
    for (const n of [6, 5, 4, 3]) expect(text1).toContain(`job \`${done[n - 1]!.id}\``);
    expect(text1).not.toContain(done[1]!.id);
    expect(text1).not.toContain('Someone else');
    expect(buttons(page1)).toEqual([
      { type: 2, style: 2, label: '◀ Prev', custom_id: 'jobs:page:0', disabled: true },
      { type: 2, style: 2, label: 'Next ▶', custom_id: 'jobs:page:1', disabled: false },
    ]);

    const next = button({ customId: 'jobs:page:1', message: world.discord.wireMessage(page1.id) });
    await world.discord.injectInteraction(next);
    expect((await callback(world, next)).type).toBe(7);
    const page2 = world.discord.messages.get(page1.id)!;
    expect(page2.content.split('\n')[0]).toBe('**Your recent jobs** · page 2 of 2 · 7 in all');
    expect(page2.content).toContain(`**6.** ✅ Done · “Job number 2:`);
    expect(page2.content).toContain(`**7.** ❌ Failed — Vidu could not generate this video · “Job number 1:`);
    expect(page2.content).toContain(`[message](${url(world, done[0]!.message)}) · job \`${done[0]!.id}\``);
    expect(buttons(page2).map((b) => [b.custom_id, b.disabled])).toEqual([
      ['jobs:page:0', false],
      ['jobs:page:1', true],
    ]);

    const prev = button({ customId: 'jobs:page:0', message: world.discord.wireMessage(page1.id) });
    await world.discord.injectInteraction(prev);
    expect((await callback(world, prev)).type).toBe(7);
    expect(world.discord.messages.get(page1.id)!.content).toBe(text1);
    expect(world.toapis.stats.submitRequests).toBe(8);
  });

  it('a member without jobs is told how to start one', async () => {
    world = await startWorld();
    await job(world, 'not mine', { userId: OTHER_USER });
    const raw = slashCommand({ name: 'vidu-jobs' });
    await world.discord.injectInteraction(raw);
    const message = await jobsMessage(world, raw);
    expect(message.content).toBe('You have no jobs yet. Start one with `/vidu`.');
    expect(message.components).toEqual([]);
  });
});

describe('/vidu-show', () => {
  it('re-posts a finished video here, publicly, with the same mp4', async () => {
    world = await startWorld();
    const first = await job(world, 'A red fox in the snow');
    const raw = show(first.id);
    await world.discord.injectInteraction(raw);
    const cb = await callback(world, raw);
    expect(cb.type).toBe(5);
    const message = await world.finalMessage(raw.token);
    expect(message.ephemeral).toBe(false);
    expect(message.id).not.toBe(first.message.id);
    const task = [...world.toapis.tasks.values()][0]!;
    const files = visibleAttachments(message);
    expect(files.map((f) => f.filename)).toEqual([`vidu-${first.id}.mp4`]);
    expect(files[0]!.bytes.equals(task.video)).toBe(true);
    expect(messageText(message)).toContain('A red fox in the snow');
    expect(world.toapis.stats.submitRequests).toBe(1);
  });

  it('links the video when it is over the upload limit here', async () => {
    world = await startWorld();
    const first = await job(world, 'A blue whale');
    const raw = show(first.id, { attachmentSizeLimit: 16 });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(visibleAttachments(message)).toHaveLength(0);
    const text = messageText(message);
    expect(text).toContain('over the 1 KB upload limit here, so it is linked instead of attached');
    expect(text).toContain(`${world.toapis.url}/files/videos/${task.id}.mp4`);
  });

  it('an expired video is refused clearly, without downloading it', async () => {
    world = await startWorld();
    const first = await job(world, 'An old video');
    const store = await openStore(world.env.STORE_URL);
    try {
      const record = (await store.get(first.id))!;
      const expiresAt = Date.now() - 60_000;
      await store.put({ ...record, outcome: { ...(record.outcome as { kind: 'video'; url: string; completedAt: number }), expiresAt } });
    } finally {
      await store.close();
    }
    const downloads = world.toapis.stats.videoDownloads;
    const raw = show(first.id);
    await world.discord.injectInteraction(raw);
    expect(await ephemeralReply(world, raw)).toMatch(
      /^⚠️ That video expired at Vidu <t:\d+:R> \(finished videos are kept 24 h\), so it can no longer be posted\./,
    );
    expect(world.toapis.stats.videoDownloads).toBe(downloads);
  });

  it('a video Vidu no longer serves (404 before its expiry) is reported as gone; a flaky download falls back to the link', async () => {
    world = await startWorld();
    const first = await job(world, 'A vanishing video');
    const task = [...world.toapis.tasks.values()][0]!;
    world.toapis.inject({ path: 'video', fault: { status: 404 } });
    const gone = show(first.id);
    await world.discord.injectInteraction(gone);
    expect((await callback(world, gone)).type).toBe(5);
    const goneMessage = await world.discord.waitFor(() => {
      const m = world!.discord.originalMessage(gone.token);
      return m && !m.loading ? m : undefined;
    });
    expect(goneMessage.content).toBe('⚠️ Vidu no longer has the file of that video, so it can no longer be posted. Run it again with `/vidu`.');

    world.toapis.inject({ path: 'video', fault: { status: 503 } });
    const flaky = show(first.id);
    await world.discord.injectInteraction(flaky);
    const linked = await world.finalMessage(flaky.token);
    expect(visibleAttachments(linked)).toHaveLength(0);
    expect(messageText(linked)).toContain('The video could not be uploaded to Discord, so it is linked instead.');
    expect(messageText(linked)).toContain(`${world.toapis.url}/files/videos/${task.id}.mp4`);
  });

  it('a running job says its status, a failed job its failure, a deleted one that it was deleted, anything else “no such job of yours”', async () => {
    world = await startWorld();
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'the cat left' });
    const failed = await job(world, 'A failing job');
    const mine = await job(world, 'Mine');
    world.toapis.nextTasks.push({ queuedMs: 60_000 });
    const running = world.vidu({ prompt: 'Still waiting' });
    await world.discord.injectInteraction(running);
    await world.discord.waitFor(
      () => /Queued at Vidu/.test(messageText(world!.discord.originalMessage(running.token) ?? { content: '', components: [] })) || undefined,
    );
    const runningMessage = world.discord.originalMessage(running.token)!;
    const deleted = await job(world, 'Deleted by a moderator');
    const del = button({
      customId: `job:delete:${deleted.id}`,
      message: world.discord.wireMessage(deleted.message.id),
      memberPermissions: 1n << 13n,
      user: rawUser({ id: OTHER_USER }),
    });
    await world.discord.injectInteraction(del);
    await world.discord.waitFor(() => world!.logs.some((l) => l.includes('"msg":"result deleted"')));

    const cases: [string, RawInteraction, string][] = [
      ['running', show(running.id), `That job is not finished yet (🕒 Queued). Its result will appear in ${url(world, runningMessage)} when it is done.`],
      [
        'failed',
        show(failed.id),
        'That job failed: Vidu could not generate this video. Vidu said: “Generation failed: the cat left” There is no video to show',
      ],
      ['deleted', show(deleted.id), 'That video was deleted with its Delete button, so it is not posted again.'],
      ['unknown', show('1234567890123456789'), 'You have no job `1234567890123456789`: no such job of yours.'],
      ['not an id', show('../etc'), 'You have no job `../etc`: no such job of yours.'],
      ['another member’s', show(mine.id, { user: rawUser({ id: OTHER_USER }) }), `You have no job \`${mine.id}\`: no such job of yours.`],
    ];
    for (const [, raw, expected] of cases) {
      await world.discord.injectInteraction(raw);
      expect(await ephemeralReply(world, raw)).toContain(expected);
    }
    expect(world.toapis.stats.submitRequests).toBe(4);
  });

  it('autocomplete suggests the member’s recent jobs by prompt, newest first', async () => {
    world = await startWorld();
    const fox = await job(world, 'A red fox in the snow');
    const whale = await job(world, 'A blue whale');
    await job(world, 'A whale of someone else', { userId: OTHER_USER });
    const choicesFor = async (typed: string) => {
      const raw = autocomplete({ name: 'vidu-show', options: [{ name: 'id', type: 3, value: typed, focused: true }] });
      await world!.discord.injectInteraction(raw);
      return world!.discord.waitFor(() => world!.discord.interaction(raw.id)?.autocompleteChoices);
    };
    expect(await choicesFor('')).toEqual([
      { name: '✅ A blue whale', value: whale.id },
      { name: '✅ A red fox in the snow', value: fox.id },
    ]);
    expect(await choicesFor('WHALE')).toEqual([{ name: '✅ A blue whale', value: whale.id }]);
    expect(await choicesFor(fox.id.slice(0, 17))).toEqual([{ name: '✅ A red fox in the snow', value: fox.id }]);
  });
});
