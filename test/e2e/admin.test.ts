import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { rawUser, slashCommand, type RawInteraction } from '../fakes/interactions.js';
import { admin, PLAIN } from '../support/admin.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A member's /vidu; resolves with the immediate refusal text, or undefined when it was accepted. */
async function member(w: World, raw: RawInteraction): Promise<string | undefined> {
  await w.discord.injectInteraction(raw);
  const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
  return cb.type === 4 ? (cb.data as { content: string }).content : undefined;
}

const plainMember = { memberPermissions: PLAIN };

describe('/vidu-admin', () => {
  it('is refused to members without Manage Server', async () => {
    world = await startWorld();
    const raw = slashCommand({ name: 'vidu-admin', options: [{ name: 'pause', type: 1 }], memberPermissions: PLAIN });
    const text = await member(world, raw);
    expect(text).toMatch(/Only members with Manage Server/);
  });

  it('pause refuses new jobs with a clear answer; resume allows them again', async () => {
    world = await startWorld();
    expect(await admin(world, ['pause'])).toMatch(/paused/);
    expect(await member(world, world.vidu(plainMember))).toMatch(/paused on this server/);
    expect(world.toapis.stats.submitRequests).toBe(0);
    await admin(world, ['resume']);
    const raw = world.vidu(plainMember);
    expect(await member(world, raw)).toBeUndefined();
    await world.finalMessage(raw.token);
  });

  it('channels: only allowed channels take /vidu', async () => {
    world = await startWorld();
    await admin(world, ['channels', 'allow'], [{ name: 'channel', type: 7, value: '1300000000000000555' }]);
    expect(await member(world, world.vidu(plainMember))).toMatch(/can’t be used in this channel\. Use it in <#1300000000000000555>/);
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('roles: members without an allowed role are refused, members with it are not', async () => {
    world = await startWorld();
    await admin(world, ['roles', 'allow'], [{ name: 'role', type: 8, value: '1300000000000000444' }]);
    expect(await member(world, world.vidu(plainMember))).toMatch(/limited to members with <@&1300000000000000444>/);
    const ok = world.vidu({ ...plainMember, roles: ['1300000000000000444'] });
    expect(await member(world, ok)).toBeUndefined();
    await world.finalMessage(ok.token);
  });

  it('defaults fill what the member left out', async () => {
    world = await startWorld();
    await admin(
      world,
      ['defaults'],
      [
        { name: 'model', type: 3, value: 'viduq3-pro' },
        { name: 'duration', type: 4, value: 8 },
        { name: 'resolution', type: 3, value: '1080p' },
      ],
    );
    const raw = world.vidu(plainMember);
    await member(world, raw);
    await world.finalMessage(raw.token);
    expect([...world.toapis.tasks.values()][0]!.body).toMatchObject({ model: 'viduq3-pro', duration: 8, resolution: '1080p' });
  });

  it('caps refuse what is over them, naming the limit', async () => {
    world = await startWorld();
    await admin(
      world,
      ['caps'],
      [
        { name: 'models', type: 3, value: 'viduq3-turbo' },
        { name: 'max_duration', type: 4, value: 5 },
      ],
    );
    expect(await member(world, world.vidu({ ...plainMember, options: { model: 'viduq3-pro' } }))).toMatch(
      /viduq3-pro isn’t enabled on this server\. Pick viduq3-turbo/,
    );
    expect(await member(world, world.vidu({ ...plainMember, options: { duration: 8 } }))).toMatch(/up to 5 s/);
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('daily limits: a job over the member limit is refused with the numbers; failed jobs are not counted', async () => {
    world = await startWorld();
    await admin(world, ['limits'], [{ name: 'member_daily', type: 4, value: 12 }]);
    // viduq3-turbo 5 s weighs 5; the progress shows what is left.
    const first = world.vidu({ ...plainMember, options: { duration: 5 } });
    await member(world, first);
    const done = await world.finalMessage(first.token);
    expect(messageText(done)).toContain('Weighs 5 video-seconds · you have 7 left today');
    // viduq3-pro 5 s weighs 10 > 7 left.
    const over = world.vidu({ ...plainMember, options: { model: 'viduq3-pro', duration: 5 } });
    await world.discord.injectInteraction(over);
    const refusal = await world.discord.waitFor(() => {
      const m = world!.discord.originalMessage(over.token);
      return m && !m.loading ? m : undefined;
    });
    expect(refusal.content).toMatch(
      /weighs 10 video-seconds, but you have only 7 left of this server's 12 per member today \(5 used\)\. It resets <t:\d+:R>\./,
    );
    const resetsAt = Number(/<t:(\d+):R>/.exec(refusal.content)![1]) * 1000;
    expect(resetsAt).toBe(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
    expect(world.toapis.stats.submitRequests).toBe(1);

    // A job that fails upstream gives its weight back.
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'nope' });
    const failing = world.vidu({ ...plainMember, options: { duration: 6 } });
    await member(world, failing);
    await world.finalMessage(failing.token);
    // The refund follows the job's completion.
    await world.delivered(failing.id);
    const again = world.vidu({ ...plainMember, options: { duration: 6 } });
    await member(world, again);
    const ok = await world.finalMessage(again.token);
    expect(visibleAttachments(ok)).toHaveLength(1);
    expect(messageText(ok)).toContain('you have 1 left today');
  });

  it('a server budget applies across members', async () => {
    world = await startWorld();
    await admin(world, ['limits'], [{ name: 'server_daily', type: 4, value: 8 }]);
    const a = world.vidu({ ...plainMember, options: { duration: 5 } });
    await member(world, a);
    await world.finalMessage(a.token);
    const b = world.vidu({ ...plainMember, user: rawUser({ id: '1300000000000000222' }), options: { duration: 5 } });
    await world.discord.injectInteraction(b);
    const refusal = await world.discord.waitFor(() => {
      const m = world!.discord.originalMessage(b.token);
      return m && !m.loading ? m : undefined;
    });
    expect(refusal.content).toMatch(/this server has only 3 left of its 8 today \(5 used\)\. It resets <t:\d+:R>\./);
  });

  it('cooldown: a second job too soon is refused with when to retry', async () => {
    world = await startWorld();
    await admin(world, ['limits'], [{ name: 'cooldown', type: 4, value: 600 }]);
    const a = world.vidu(plainMember);
    await member(world, a);
    expect(await member(world, world.vidu(plainMember))).toMatch(/600 s cooldown between videos\. Try again <t:\d+:R>/);
  });

  it('private replies: the acknowledgement is ephemeral', async () => {
    world = await startWorld();
    await admin(world, ['replies'], [{ name: 'visibility', type: 3, value: 'private' }]);
    const raw = world.vidu(plainMember);
    await world.discord.injectInteraction(raw);
    const cb = await world.discord.waitFor(() => world!.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
    expect(cb.type).toBe(5);
    expect((cb.data as { flags: number }).flags & 64).toBe(64);
  });

  it('balance shows the upstream account balance', async () => {
    world = await startWorld();
    world.toapis.balance.remain = 42.5;
    world.toapis.balance.used = 7;
    expect(await admin(world, ['balance'])).toBe('💳 toapis balance: **42.5** left (7 used).');
  });

  it('out of credits: the alert channel is warned once, not on every failure', async () => {
    world = await startWorld();
    const alertChannel = world.discord.defaultChannelId;
    await admin(world, ['alerts'], [{ name: 'channel', type: 7, value: alertChannel }]);
    world.toapis.inject({ path: 'submit', times: 2, fault: { status: 402 } });
    for (const prompt of ['one', 'two']) {
      const raw = world.vidu({ ...plainMember, prompt });
      await member(world, raw);
      expect(messageText(await world.finalMessage(raw.token))).toContain('out of credits');
    }
    const alerts = await world.discord.waitFor(() => {
      const found = world!.discord.channelMessages(alertChannel).filter((m) => messageText(m).includes('toapis account is out of credits'));
      return found.length > 0 ? found : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(world.discord.channelMessages(alertChannel).filter((m) => messageText(m).includes('toapis account is out of credits'))).toHaveLength(1);
    expect(alerts).toHaveLength(1);
  });

  it('settings survive a restart', async () => {
    world = await startWorld();
    await admin(world, ['pause']);
    await world.crash();
    await world.restart();
    expect(await member(world, world.vidu(plainMember))).toMatch(/paused/);
  });
});
