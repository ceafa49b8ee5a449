import { afterEach, describe, expect, it } from 'vitest';
import { rateLimited, visibleAttachments } from '../fakes/discord.js';
import { messageText, startWorld, type World } from '../e2e/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every live message carrying this job's mp4. */
function results(w: World, id: string) {
  return [...w.discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${id}.mp4`));
}

describe('Discord faults during a job', () => {
  it('the interaction token dies early (401/50027): delivery moves to the channel endpoint, same message', async () => {
    world = await startWorld({ plan: { queuedMs: 300, runMs: 1_200 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.discord.waitFor(() => world!.toapis.stats.tasksCreated === 1 || undefined);
    world.discord.expireToken(raw.token);
    await world.delivered(raw.id);
    const found = results(world, raw.id);
    expect(found).toHaveLength(1);
    expect(found[0]!.id).toBe(world.discord.interaction(raw.id)!.originalMessageId);
  });

  it('a moderator deletes the reply (10008): the result comes as one new message that mentions the member', async () => {
    world = await startWorld({ plan: { queuedMs: 300, runMs: 1_000 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const original = await world.discord.waitFor(() => world!.discord.originalMessage(raw.token));
    world.discord.deleteMessage(original.channelId, original.id);
    await world.delivered(raw.id);
    const found = results(world, raw.id);
    expect(found).toHaveLength(1);
    expect(found[0]!.id).not.toBe(original.id);
    expect(found[0]!.channelId).toBe(original.channelId);
    const post = world.discord.findCalls({ method: 'POST', path: /^\/channels\/\d+\/messages$/ })[0]!;
    expect((post.body as { allowed_mentions: { users: string[] } }).allowed_mentions.users).toEqual([(raw.member!.user as { id: string }).id]);
  });

  it('the reply is deleted and the bot may not post in the channel (50013): the result goes by DM', async () => {
    world = await startWorld({ plan: { queuedMs: 300, runMs: 1_000 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const original = await world.discord.waitFor(() => world!.discord.originalMessage(raw.token));
    world.discord.deleteMessage(original.channelId, original.id);
    world.discord.setChannelAccess(original.channelId, { send: false });
    await world.delivered(raw.id);
    const found = results(world, raw.id);
    expect(found).toHaveLength(1);
    expect(found[0]!.guildId).toBeNull();
    expect(world.discord.findCalls({ status: 403 }).map((c) => (c.responseBody as { code: number }).code)).toContain(50013);
  });

  it('nowhere to deliver (no channel, DMs closed): the job ends cleanly and the bot keeps running', async () => {
    world = await startWorld({ plan: { queuedMs: 300, runMs: 1_000 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const original = await world.discord.waitFor(() => world!.discord.originalMessage(raw.token));
    world.discord.deleteMessage(original.channelId, original.id);
    world.discord.setChannelAccess(original.channelId, { view: false });
    world.discord.setDmAllowed((raw.member!.user as { id: string }).id, false);
    await world.delivered(raw.id);
    expect(results(world, raw.id)).toHaveLength(0);
    expect(world.logs.join('')).toContain('"via":"none"');
    // Still serving: the next job works.
    world.discord.setChannelAccess(original.channelId, { view: true, send: true });
    const next = world.vidu({ prompt: 'after the undeliverable one' });
    await world.discord.injectInteraction(next);
    const message = await world.finalMessage(next.token);
    expect(visibleAttachments(message)).toHaveLength(1);
  });

  it('429 on edits: the edits wait and the result still arrives once', async () => {
    world = await startWorld();
    world.discord.inject({ method: 'PATCH', pathIncludes: '/messages/@original', times: 2, ...rateLimited(0.3) });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(world.discord.calls.filter((c) => c.status === 429)).toHaveLength(2);
    expect(messageText(message)).toContain('✅ Done');
  });
});
