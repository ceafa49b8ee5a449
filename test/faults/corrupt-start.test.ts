import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterKey } from '../../src/store/family.js';
import { openNamespaces } from '../../src/store/keyv.js';
import { DEFAULT_IDS } from '../fakes/interactions.js';
import { admin } from '../support/admin.js';
import { messageText, startWorld, type World } from '../e2e/world.js';

/**
 * Issue 9: a store with damaged rows of every family the start reads (pending index, task
 * records, settings) still starts; each row is logged once with its key; the damaged server is
 * paused (fail closed) and says so; the bot keeps serving everyone else. Real SQLite file.
 */
let world: World;
let dir: string;
let file: string;

async function writeRaw(kv: Keyv, key: string, text: string): Promise<void> {
  await (kv.store as { set(k: string, v: string): Promise<unknown> }).set(adapterKey(kv, key), text);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-corrupt-start-'));
  file = join(dir, 'vidu.sqlite');
  const ns = openNamespaces({ kind: 'sqlite', file });
  await writeRaw(ns.pending, 'bad-pending', '{"value":');
  await writeRaw(ns.pending, 'orphan', JSON.stringify({ value: { id: 'orphan', guildId: null, userId: 'u', nextAt: 0 }, expires: null }));
  await writeRaw(ns.task, 'orphan', JSON.stringify({ value: { id: 'orphan', state: 'nonsense' }, expires: null }));
  await writeRaw(ns.settings, DEFAULT_IDS.guildId, 'null');
  await Promise.all(Object.values(ns).map((k) => k.disconnect()));
  world = await startWorld({ storeUrl: `sqlite://${file}` });
});

afterAll(async () => {
  await world?.close();
  await rm(dir, { recursive: true, force: true });
});

const setAside = (key: string) => world.logs.filter((l) => l.includes('corrupted store row set aside') && l.includes(`"key":"${key}"`));

describe('start-up over damaged rows', () => {
  it('starts, and logs each damaged row once with its key', async () => {
    await world.discord.waitFor(() => setAside('orphan').length > 0 || undefined, { timeoutMs: 10_000, description: 'orphan task set aside' });
    expect(setAside('bad-pending')).toHaveLength(1);
    expect(setAside(DEFAULT_IDS.guildId)).toHaveLength(1);
    // No loop: the damaged task is not stepped again and again.
    expect(world.logs.filter((l) => l.includes('"task":"orphan"') && l.includes('task step crashed')).length).toBeLessThanOrEqual(1);
  });

  it('the server whose settings are unreadable is paused (fail closed), nothing submitted', async () => {
    const before = world.toapis.requests.length;
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const cb = await world.discord.waitFor(() => world.discord.callbacks(raw.id).find((c) => c.status !== 0));
    expect((cb.data as { content: string }).content).toContain('paused on this server by its admins');
    expect(world.toapis.requests.length).toBe(before);
  });

  it('everyone else is served: a job in another server completes', async () => {
    const raw = world.vidu({ guildId: '1300000000000000777' });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(message.attachments.length).toBeGreaterThan(0);
  });

  it('the admins are told once (owner DM, since the alert channel was lost with the row), not per job nor per restart', async () => {
    const alertsInDm = () => {
      const dm = world.discord.dmChannelOf(DEFAULT_IDS.userId);
      return dm ? world.discord.channelMessages(dm).filter((m) => messageText(m).includes('vidu-bot paused itself on this server')) : [];
    };
    await world.discord.waitFor(() => (alertsInDm().length > 0 ? true : undefined), { timeoutMs: 10_000, description: 'settings alert DM' });
    const text = messageText(alertsInDm()[0]!);
    expect(text).toContain('`/vidu-admin show`');
    expect(text).toContain('`/vidu-admin resume`');
    // More refused jobs do not repeat it.
    for (let i = 0; i < 2; i++) {
      const raw = world.vidu();
      await world.discord.injectInteraction(raw);
      await world.discord.waitFor(() => world.discord.callbacks(raw.id).find((c) => c.status !== 0));
    }
    // The incident is recorded as told in the row itself: a restart (which checks at ready) stays quiet.
    const ns = openNamespaces({ kind: 'sqlite', file });
    try {
      const end = Date.now() + 10_000;
      while (!(await ns.settings.get<{ failedClosed?: { alerted: boolean } }>(DEFAULT_IDS.guildId))?.failedClosed?.alerted) {
        if (Date.now() > end) throw new Error('timed out waiting for the alert to be recorded');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(Object.values(ns).map((k) => k.disconnect()));
    }
    const readyBefore = world.logs.filter((l) => l.includes('"msg":"ready"')).length;
    await world.crash();
    await world.restart();
    await world.discord.waitFor(() => (world.logs.filter((l) => l.includes('"msg":"ready"')).length > readyBefore ? true : undefined), {
      timeoutMs: 10_000,
      description: 'ready again',
    });
    expect(alertsInDm()).toHaveLength(1);
    expect(world.logs.filter((l) => l.includes('admins warned: settings unreadable'))).toHaveLength(1);

    // /vidu-admin show says what happened; resume ends the incident.
    expect(await admin(world, ['show'])).toMatch(/The stored settings could not be read <t:\d+:R> and were replaced by these defaults, paused\./);
    await admin(world, ['resume']);
    expect(await admin(world, ['show'])).not.toContain('could not be read');
  });
});
