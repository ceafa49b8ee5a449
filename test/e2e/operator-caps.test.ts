/**
 * Spend has an upper bound everywhere (issue 9): the operator's caps count one member across a
 * server and a DM, survive a restart (real SQLite file), and hold across two bot processes on
 * one Redis database; VIDU_ALLOW_DMS=false refuses DMs and user-install servers.
 */
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_IDS, type RawInteraction } from '../fakes/interactions.js';
import { startWorld, type World } from './world.js';

const worlds: World[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

async function open(options: Parameters<typeof startWorld>[0]): Promise<World> {
  const w = await startWorld(options);
  worlds.push(w);
  return w;
}

/** The first successful callback of `raw`. */
function callback(w: World, raw: RawInteraction) {
  return w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300), { description: `callback of ${raw.id}` });
}

/** Runs the interaction to its delivered video. */
async function runs(w: World, raw: RawInteraction): Promise<void> {
  await w.discord.injectInteraction(raw);
  expect(visibleAttachments(await w.finalMessage(raw.token))).toHaveLength(1);
  await w.delivered(raw.id);
}

/** The refusal shown in the (deferred) reply of `raw`. */
async function deferredRefusal(w: World, raw: RawInteraction): Promise<string> {
  await w.discord.injectInteraction(raw);
  expect((await callback(w, raw)).type).toBe(5);
  const m = await w.discord.waitFor(() => {
    const msg = w.discord.originalMessage(raw.token);
    return msg && !msg.loading ? msg : undefined;
  });
  return m.content;
}

/** viduq3-turbo (weight 1) × 5 s = 5 weighted video-seconds. */
const FIVE = { options: { model: 'viduq3-turbo', duration: 5 } };

describe('VIDU_USER_DAILY_LIMIT', () => {
  it('counts a member across a server and a DM, refuses with used/left/reset, and still holds after a restart', async () => {
    const w = await open({ env: { VIDU_USER_DAILY_LIMIT: '12' } });
    await runs(w, w.vidu(FIVE));
    await runs(w, w.vidu({ ...FIVE, guildId: null }));
    const text = await deferredRefusal(w, w.vidu({ ...FIVE, prompt: 'one too many' }));
    expect(text).toMatch(
      /^⚠️ You have reached your daily video allowance on this bot: 10 of 12 weighted video-seconds used, 2 left, and this video needs 5\. It resets <t:\d+:R>\./,
    );
    const resetsAt = Number(/<t:(\d+):R>/.exec(text)![1]) * 1000;
    expect(resetsAt).toBe(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
    expect(w.toapis.stats.submitRequests).toBe(2);

    await w.crash();
    await w.restart();
    expect(await deferredRefusal(w, w.vidu({ ...FIVE, guildId: null, prompt: 'after the restart' }))).toContain('10 of 12 weighted video-seconds used, 2 left');
    expect(w.toapis.stats.submitRequests).toBe(2);
    // Another member is not affected by this member's cap.
    await runs(w, w.vidu({ ...FIVE, user: { id: '1300000000000000777' } }));
  });

  it('a job the upstream fails is given back', async () => {
    const w = await open({ env: { VIDU_USER_DAILY_LIMIT: '5' } });
    w.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'no' });
    const failed = w.vidu(FIVE);
    await w.discord.injectInteraction(failed);
    await w.finalMessage(failed.token);
    await w.delivered(failed.id);
    // The refund is written right after delivery: wait until the stored ledger says 0.
    const store = await openStore(w.env.STORE_URL);
    try {
      const key = `user:${DEFAULT_IDS.userId}:${new Date().toISOString().slice(0, 10)}`;
      const deadline = Date.now() + 10_000;
      while ((await store.spendLines.get(key)) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await store.spendLines.get(key)).toBe(0);
    } finally {
      await store.close();
    }
    await runs(w, w.vidu({ ...FIVE, prompt: 'counted again' }));
  });
});

describe.skipIf(!process.env.REDIS_URL)('VIDU_DAILY_BUDGET on Redis, shared by two bot processes', () => {
  it('a second shard on the same Redis sees the first one’s spend', async () => {
    const admin = createClient({ url: process.env.REDIS_URL });
    await admin.connect();
    await admin.flushDb();
    await admin.close();
    const env = { VIDU_DAILY_BUDGET: '10' };
    const shard0 = await open({ storeUrl: process.env.REDIS_URL, env });
    const shard1 = await open({ storeUrl: process.env.REDIS_URL, env });
    await runs(shard0, shard0.vidu(FIVE));
    await runs(shard1, shard1.vidu({ ...FIVE, user: { id: '1300000000000000777' } }));
    const text = await deferredRefusal(shard0, shard0.vidu({ ...FIVE, user: { id: '1300000000000000778' } }));
    expect(text).toMatch(
      /^⚠️ The bot has reached its daily video budget: 10 of 10 weighted video-seconds used, 0 left, and this video needs 5\. It resets <t:\d+:R>\./,
    );
    await shard1.crash();
    await shard1.restart();
    expect(await deferredRefusal(shard1, shard1.vidu({ ...FIVE, guildId: null }))).toContain('10 of 10 weighted video-seconds used');
    expect(shard0.toapis.stats.submitRequests + shard1.toapis.stats.submitRequests).toBe(2);
  });

  it('the per-minute safeguard holds across the two processes', async () => {
    const admin = createClient({ url: process.env.REDIS_URL });
    await admin.connect();
    await admin.flushDb();
    await admin.close();
    const env = { VIDU_USER_SUBMITS_PER_MINUTE: '1' };
    const shard0 = await open({ storeUrl: process.env.REDIS_URL, env });
    const shard1 = await open({ storeUrl: process.env.REDIS_URL, env });
    await runs(shard0, shard0.vidu(FIVE));
    const second = shard1.vidu(FIVE);
    await shard1.discord.injectInteraction(second);
    const cb = await callback(shard1, second);
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string }).content).toMatch(/1 video per minute.*<t:\d+:R>/);
    expect(shard1.toapis.stats.submitRequests).toBe(0);
  });
});

describe('VIDU_ALLOW_DMS=false', () => {
  it('refuses in a DM and in a server reached only through a user install; a server that added the bot still works', async () => {
    const w = await open({ env: { VIDU_ALLOW_DMS: 'false' } });
    for (const raw of [w.vidu({ guildId: null }), w.vidu({ authorizingIntegrationOwners: { '1': '1300000000000000100' } })]) {
      await w.discord.injectInteraction(raw);
      const cb = await callback(w, raw);
      expect(cb.type).toBe(4);
      const data = cb.data as { content: string; flags: number };
      expect(data.flags & 64).toBe(64);
      expect(data.content).toBe(
        '⚠️ Videos can’t be made in DMs or in servers that haven’t added the bot. Use `/vidu` in a server where vidu-bot is installed.',
      );
    }
    expect(w.toapis.requests).toHaveLength(0);
    await runs(w, w.vidu());
  });
});
