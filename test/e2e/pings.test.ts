import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { DEFAULT_IDS, button, rawUser } from '../fakes/interactions.js';
import { createMemberPrefs } from '../../src/settings/member.js';
import { openStore } from '../../src/store/index.js';
import { admin, PLAIN } from '../support/admin.js';
import { messageText, startWorld, type World } from './world.js';
import { ephemeralReply } from '../support/components.js';

/**
 * Issue 11: when a result lands the requester gets exactly one ping — a new message that
 * mentions them and nobody else — unless the reply is private or they turned pings off.
 */
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const requester = DEFAULT_IDS.userId;

/** New messages (not edits) that mention the requester: what makes Discord notify them. */
function pingsOf(w: World): FakeMessage[] {
  return [...w.discord.messages.values()].filter(
    (m) => (m.source === 'channel' || m.source === 'followup') && !m.deleted && messageText(m).includes(`<@${requester}>`),
  );
}

/** Every message-creating request that named the requester carried allowed mentions for them only. */
function expectMentionsLimited(w: World): void {
  const creates = w.discord.calls.filter((c) => c.method === 'POST' && /\/channels\/\d+\/messages$|^\/webhooks\/\d+\/[^/]+$/.test(c.path));
  for (const c of creates) {
    const body = c.body as { allowed_mentions?: unknown };
    if (JSON.stringify(body).includes(`<@${requester}>`)) expect(body.allowed_mentions).toEqual({ parse: [], users: [requester] });
  }
}

/** The job's video is in exactly one message, and it is not the ping. */
function videoMessages(w: World, jobId: string): FakeMessage[] {
  return [...w.discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${jobId}.mp4`));
}

describe('the requester is pinged once when the result lands', () => {
  it('a finished video: one new message mentioning only the requester, replying to the result', async () => {
    world = await startWorld();
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const result = await world.finalMessage(raw.token);
    await world.delivered(raw.id);
    const pings = pingsOf(world);
    expect(pings).toHaveLength(1);
    const ping = pings[0]!;
    expect(ping.id).not.toBe(result.id);
    expect(ping.content).toContain(`<@${requester}> your video is ready`);
    expect(ping.content).toContain(`/${result.channelId}/${result.id}`);
    expect(ping.messageReference).toMatchObject({ message_id: result.id });
    expect(visibleAttachments(ping)).toHaveLength(0);
    expect(videoMessages(world, raw.id)).toHaveLength(1);
    expectMentionsLimited(world);
  });

  it('a failed job pings too, saying it could not be made', async () => {
    world = await startWorld();
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'upstream returned status 422' });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    await world.delivered(raw.id);
    const pings = pingsOf(world);
    expect(pings).toHaveLength(1);
    expect(pings[0]!.content).toContain('your video could not be made');
    expectMentionsLimited(world);
  });

  it('no ping for a private (ephemeral) reply', async () => {
    world = await startWorld();
    expect(await admin(world, ['replies'], [{ name: 'visibility', type: 3, value: 'private' }])).toMatch(/private/i);
    const raw = world.vidu({ memberPermissions: PLAIN });
    await world.discord.injectInteraction(raw);
    const result = await world.finalMessage(raw.token);
    await world.delivered(raw.id);
    expect(result.ephemeral).toBe(true);
    expect(pingsOf(world)).toHaveLength(0);
    expect(world.logs.join('')).toContain('"reason":"private"');
  });

  it('no ping after the member turned pings off', async () => {
    world = await startWorld();
    // The member's preference, written through the same store the bot reads.
    const store = await openStore(world.env.STORE_URL);
    await createMemberPrefs({ family: store.memberPrefs }).update(requester, () => ({ pings: false }));
    await store.close();
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    await world.delivered(raw.id);
    expect(pingsOf(world)).toHaveLength(0);
    expect(videoMessages(world, raw.id)).toHaveLength(1);
  });

  it('a crash while the ping is in flight, then a restart: still exactly one ping', async () => {
    world = await startWorld();
    const channel = world.discord.defaultChannelId;
    // Discord creates the ping, but the answer never reaches the bot (it dies first).
    world.discord.inject({ method: 'POST', pathIncludes: `/channels/${channel}/messages`, afterApply: 'hang' });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    await world.discord.waitFor(() => (pingsOf(world!).length > 0 ? true : undefined), { timeoutMs: 15_000, description: 'ping created' });
    await world.crash();
    await world.restart();
    await world.delivered(raw.id, 30_000);
    expect(pingsOf(world)).toHaveLength(1);
    expect(videoMessages(world, raw.id)).toHaveLength(1);
    // The second process re-sent with the same nonce and Discord answered with the first message.
    const posts = world.discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channel}/messages`);
    expect(posts.length).toBe(2);
    expect(new Set(posts.map((c) => (c.body as { nonce?: string }).nonce)).size).toBe(1);
  });

  it('"Turn off pings" on the ping works for the pinged member only; their next job pings no one', async () => {
    world = await startWorld();
    const first = world.vidu();
    await world.discord.injectInteraction(first);
    await world.finalMessage(first.token);
    await world.delivered(first.id);
    const ping = pingsOf(world)[0]!;
    const customId = JSON.stringify(ping.components).match(/"custom_id":"(pings:off:\d+)"/)?.[1];
    expect(customId).toBe(`pings:off:${requester}`);
    const click = async (userId: string) => {
      const raw = button({ customId: customId!, message: world!.discord.wireMessage(ping.id), user: rawUser({ id: userId }) });
      await world!.discord.injectInteraction(raw);
      return ephemeralReply(world!, raw);
    };
    const pingsPref = async () => {
      const store = await openStore(world!.env.STORE_URL);
      try {
        return (await createMemberPrefs({ family: store.memberPrefs }).get(requester)).pings;
      } finally {
        await store.close();
      }
    };

    // Anyone in the channel sees the button; only the requester may use it.
    expect(await click('1300000000000000777')).toContain('Only the member this ping is for');
    expect(await pingsPref()).toBe(true);
    expect(await click(requester)).toContain('Pings are off');
    expect(await pingsPref()).toBe(false);

    const second = world.vidu({ prompt: 'a second one' });
    await world.discord.injectInteraction(second);
    await world.finalMessage(second.token);
    await world.delivered(second.id);
    expect(pingsOf(world)).toHaveLength(1);
  });
});
