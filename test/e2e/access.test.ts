/**
 * Who may do what (issue 9): every click and modal submit is checked on the server against the
 * stored job, never against the custom_id; /vidu-show goes through the same gate as /vidu.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { libraryImageUrl } from '../../src/subjects/library.js';
import { openStore } from '../../src/store/index.js';
import { failureDetail } from '../../src/render/render.js';
import type { Outcome } from '../../src/tasks/record.js';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import {
  DEFAULT_IDS,
  button,
  messageContextMenu,
  modalSubmit,
  rawMessage,
  rawUser,
  slashCommand,
  textInputValue,
  type RawInteraction,
} from '../fakes/interactions.js';
import { admin, PLAIN } from '../support/admin.js';
import { pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';
const ROOMY = { env: { VIDU_USER_SUBMITS_PER_MINUTE: '30', VIDU_USER_MAX_IN_FLIGHT: '10' } };

/** Runs /vidu to the end (recorded as delivered) and returns the interaction and its result message. */
async function finished(w: World, raw = w.vidu()) {
  await w.discord.injectInteraction(raw);
  const message = await w.finalMessage(raw.token);
  await w.delivered(raw.id);
  return { raw, message };
}

function click(w: World, message: FakeMessage, customId: string, opts: { userId?: string; permissions?: bigint } = {}) {
  return button({
    customId,
    message: w.discord.wireMessage(message.id),
    ...(opts.userId ? { user: rawUser({ id: opts.userId }) } : {}),
    ...(opts.permissions !== undefined ? { memberPermissions: opts.permissions } : {}),
  });
}

function selectValue(customId: string, values: string[], id: number) {
  return { type: 18, id, component: { type: 3, id: id + 1, custom_id: customId, values } };
}

/** Injects the interaction and returns its first successful callback. */
async function answer(w: World, raw: RawInteraction) {
  await w.discord.injectInteraction(raw);
  return w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300), { description: `answer to ${raw.id}` });
}

/** The ephemeral refusal text (asserts it is an immediate, ephemeral message). */
async function refusal(w: World, raw: RawInteraction): Promise<string> {
  const cb = await answer(w, raw);
  expect(cb.type).toBe(4);
  const data = cb.data as { content: string; flags: number };
  expect(data.flags & 64).toBe(64);
  return data.content;
}

const show = (id: string, opts: { userId?: string; channelId?: string; roles?: string[] } = {}) =>
  slashCommand({
    name: 'vidu-show',
    options: [{ name: 'id', type: 3, value: id }],
    memberPermissions: PLAIN,
    ...(opts.userId ? { user: rawUser({ id: opts.userId }) } : {}),
    ...(opts.channelId ? { channelId: opts.channelId } : {}),
    ...(opts.roles ? { roles: opts.roles } : {}),
  });

describe('result buttons act for the requester only', () => {
  it('another member’s Re-roll, Edit & re-run, Continue and Details are refused; nothing is uploaded or submitted', async () => {
    world = await startWorld({ plan: { lastFrame: pngBytes(42) } });
    const { raw, message } = await finished(world, world.vidu({ images: [world.image('a.png', pngBytes(3), 'image/png')] }));
    const uploads = world.toapis.uploads.length;
    const submits = world.toapis.stats.submitRequests;
    for (const action of ['reroll', 'edit', 'continue', 'details']) {
      const text = await refusal(world, click(world, message, `job:${action}:${raw.id}`, { userId: OTHER_USER }));
      expect(text, action).toContain(`Only <@${DEFAULT_IDS.userId}> can use this`);
      expect(text, action).toContain('Nothing was started');
    }
    // Even with Manage Messages, a moderator may only delete, not re-run or read the details.
    const mod = await refusal(world, click(world, message, `job:reroll:${raw.id}`, { userId: OTHER_USER, permissions: PLAIN | (1n << 13n) }));
    expect(mod).toContain('can use this');
    expect(world.toapis.uploads).toHaveLength(uploads);
    expect(world.toapis.stats.submitRequests).toBe(submits);
    expect(world.toapis.stats.tasksCreated).toBe(1);
  });

  it('the requester’s own clicks still work (the check is not a blanket refusal)', async () => {
    world = await startWorld();
    const { raw, message } = await finished(world);
    const details = await refusal(world, click(world, message, `job:details:${raw.id}`));
    expect(details).toContain(raw.id);
    const edit = await answer(world, click(world, message, `job:edit:${raw.id}`));
    expect(edit.type).toBe(9);
  });

  it('a forged modal submit naming another member’s job is refused and submits nothing', async () => {
    world = await startWorld();
    const { raw } = await finished(world);
    const forged = modalSubmit({
      customId: `job:edit:${raw.id}`,
      user: rawUser({ id: OTHER_USER }),
      components: [
        textInputValue('prompt', 'spend their credits'),
        selectValue('model', ['viduq3-pro'], 3),
        textInputValue('duration', '16', 5),
        selectValue('resolution', ['1080p'], 7),
      ],
    });
    expect(await refusal(world, forged)).toContain('can use this');
    expect(world.toapis.stats.submitRequests).toBe(1);
  });

  it('forged custom_ids (malformed id, unknown action, unknown prefix, extra segments) are refused clearly', async () => {
    world = await startWorld();
    const { raw, message } = await finished(world);
    const ids = ['job:reroll:not-a-job', 'job:reroll:', 'job:bogus:' + raw.id, `job:reroll:${raw.id}:x`, 'nope:reroll:' + raw.id, `job:__proto__:${raw.id}`];
    for (const id of ids) {
      expect(await refusal(world, click(world, message, id)), id).toMatch(/not one the bot knows/);
    }
    const modal = modalSubmit({ customId: `job:reroll:${raw.id}`, components: [textInputValue('prompt', 'x')] });
    expect(await refusal(world, modal)).toMatch(/not one the bot knows/);
    expect(world.toapis.stats.submitRequests).toBe(1);
  });
});

describe('the Animate form', () => {
  it('can be submitted only by the member who opened it', async () => {
    world = await startWorld();
    const target = rawMessage({ content: 'look', attachments: [world.image('pic.png', pngBytes(100), 'image/png')] });
    const opened = messageContextMenu({ name: 'Animate with Vidu', targetMessage: target });
    expect((await answer(world, opened)).type).toBe(9);
    const fields = [textInputValue('prompt', 'make it move'), selectValue('model', ['viduq3-turbo'], 3), textInputValue('duration', '4', 5)];
    const stranger = modalSubmit({ customId: `animate:go:${opened.id}`, user: rawUser({ id: OTHER_USER }), components: fields });
    expect(await refusal(world, stranger)).toMatch(/opened by another member/);
    expect(world.toapis.uploads).toHaveLength(0);
    expect(world.toapis.stats.submitRequests).toBe(0);
    // The opener still can: the refusal did not consume the form.
    const own = modalSubmit({ customId: `animate:go:${opened.id}`, components: fields });
    await world.discord.injectInteraction(own);
    expect(visibleAttachments(await world.finalMessage(own.token))).toHaveLength(1);
  });
});

describe('saved subject images are read for their owner only', () => {
  it('a stored job carrying another member’s library ref fails clearly when the engine reaches it; nothing is uploaded', async () => {
    world = await startWorld();
    const { raw } = await finished(world);
    await world.crash();
    // A record (forged, or copied) whose images point into OTHER_USER's library.
    const store = await openStore(world.env.STORE_URL);
    const forgedId = String(BigInt(raw.id) + 1n);
    try {
      const record = (await store.get(raw.id))!;
      const { outcome: _o, delivered: _d, upstream: _u, uploadedImageUrls: _i, ...rest } = record;
      await store.put({
        ...rest,
        id: forgedId,
        clientBusinessId: `vidu-${forgedId}`,
        state: 'accepted',
        nextAt: Date.now(),
        reply: { ...record.reply, token: `${raw.token}x`, messageId: null },
        request: {
          ...record.request,
          model: 'viduq3',
          mode: 'reference-to-video',
          images: [{ filename: 'cat-1.png', size: 10, contentType: 'image/png', url: libraryImageUrl(OTHER_USER, 'cat', 0) }],
        },
      });
    } finally {
      await store.close();
    }
    await world.restart();
    // SQLite in WAL mode: a second connection may read while the bot runs.
    const reread = await openStore(world.env.STORE_URL);
    let failed: Awaited<ReturnType<typeof reread.get>>;
    try {
      const deadline = Date.now() + 15_000;
      while (!(failed = await reread.get(forgedId))?.outcome && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await reread.close();
    }
    expect(failed?.outcome).toMatchObject({ kind: 'failed', code: 'images_unavailable' });
    expect(failed?.outcome).toMatchObject({ reason: { code: 'library_image_foreign' } });
    // What the member reads on the card, in their locale.
    expect(failureDetail(failed!.outcome as Extract<Outcome, { kind: 'failed' }>, 'en-US')).toContain('belong to another member');
    expect(world.toapis.uploads).toHaveLength(0);
    expect(world.toapis.stats.submitRequests).toBe(1);
  });
});

describe('/vidu-show obeys the /vidu gate', () => {
  it('is refused while paused, in a channel that is not allowed, and without an allowed role; nothing is downloaded', async () => {
    world = await startWorld(ROOMY);
    const { raw } = await finished(world);
    const downloads = world.toapis.stats.videoDownloads;

    await admin(world, ['pause']);
    expect(await refusal(world, show(raw.id))).toMatch(/paused on this server/);
    await admin(world, ['resume']);

    await admin(world, ['channels', 'allow'], [{ name: 'channel', type: 7, value: '1300000000000000555' }]);
    expect(await refusal(world, show(raw.id))).toMatch(/can’t be used in this channel/);
    await admin(world, ['channels', 'clear']);

    await admin(world, ['roles', 'allow'], [{ name: 'role', type: 8, value: '1300000000000000444' }]);
    expect(await refusal(world, show(raw.id))).toMatch(/limited to members with <@&1300000000000000444>/);
    expect(world.toapis.stats.videoDownloads).toBe(downloads);

    // With the role it goes through and posts the file (streamed from disk).
    const allowed = show(raw.id, { roles: ['1300000000000000444'] });
    await world.discord.injectInteraction(allowed);
    const posted = await world.finalMessage(allowed.token);
    expect(visibleAttachments(posted)).toHaveLength(1);
    expect(messageText(posted)).toContain('✅');
  });

  it('keeps replies private when the server says so', async () => {
    world = await startWorld(ROOMY);
    const { raw } = await finished(world);
    await admin(world, ['replies'], [{ name: 'visibility', type: 3, value: 'private' }]);
    const again = show(raw.id);
    const cb = await answer(world, again);
    expect(cb.type).toBe(5);
    expect(((cb.data as { flags?: number } | undefined)?.flags ?? 0) & 64).toBe(64);
    const posted = await world.finalMessage(again.token);
    expect(posted.ephemeral).toBe(true);
    expect(visibleAttachments(posted)).toHaveLength(1);
  });

  it('goes through the member’s rate gate', async () => {
    world = await startWorld({ env: { VIDU_USER_SUBMITS_PER_MINUTE: '2' } });
    const { raw } = await finished(world);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = show(raw.id);
      const cb = await answer(world, s);
      texts.push(cb.type === 4 ? (cb.data as { content: string }).content : 'accepted');
      if (cb.type === 5) await world.finalMessage(s.token);
    }
    expect(texts.slice(0, 2)).toEqual(['accepted', 'accepted']);
    expect(texts[2]).toMatch(/per minute\. Try again <t:\d+:R>/);
  });
});
