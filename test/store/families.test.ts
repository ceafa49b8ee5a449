import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsCache } from '../../src/settings/store.js';
import { DEFAULT_SETTINGS, GuildSettingsSchema } from '../../src/settings/settings.js';
import { createUsageLedger } from '../../src/settings/usage.js';
import { StoredValueError, absentIfCorrupt, openStore, parseStoreUrl, type Store } from '../../src/store/index.js';
import type { Logger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'vidu-families-'));
const file = join(dir, 'f.sqlite');
let store: Store;
/** The same SQLite file through plain keyv: what is really stored, under which key. */
const raw = (namespace: string) => new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace });
let meta: Keyv;
let settingsNs: Keyv;

beforeAll(async () => {
  store = await openStore({ kind: 'sqlite', file });
  meta = raw('meta');
  settingsNs = raw('settings');
});
afterAll(async () => {
  await meta.disconnect();
  await settingsNs.disconnect();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('record families keep the keys stored data already uses', () => {
  it.each([
    ['commands-hash:app1', () => store.commandHash.set('app1', 'h')],
    ['jobs:u1', () => store.memberJobs.set('u1', ['t'])],
    ['usage:g1:2026-12-01', () => store.usage.set({ guildId: 'g1', day: '2026-12-01' }, { total: 1, members: { u1: 1 }, open: {} })],
    ['alerted:credits:g1', () => store.creditAlerts.set('g1', 5)],
    ['poll-history', () => store.pollHistory.set(undefined, { k: [1000] })],
    ['animate:i1', () => store.pendingAnimations.set('i1', { images: [], messageUrl: 'https://discord.com/channels/1/2/3' })],
    ['subjects:u1', () => store.subjectIndex.set('u1', [])],
    [
      'subject:u1:cat',
      () => store.subjects.set({ userId: 'u1', nameKey: 'cat' }, { v: 1, name: 'Cat', createdAt: 0, images: [{ mimeType: 'image/png', data: 'AA==' }] }),
    ],
  ])('meta %s', async (key, write) => {
    expect(await meta.get(key)).toBeUndefined();
    await write();
    expect(await meta.get(key)).toBeDefined();
  });

  it('settings are keyed by the bare guild id in their own namespace', async () => {
    await store.settings.set('g2', DEFAULT_SETTINGS);
    expect(await settingsNs.get('g2')).toEqual(DEFAULT_SETTINGS);
    expect(await meta.get('g2')).toBeUndefined();
  });
});

describe('a stored value that does not parse', () => {
  it('surfaces as StoredValueError naming the family and key, and absentIfCorrupt maps only that to undefined', async () => {
    await meta.set('jobs:u9', 'not a list');
    const err = await store.memberJobs.get('u9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoredValueError);
    expect((err as StoredValueError).family).toBe('member jobs');
    expect((err as StoredValueError).key).toBe('jobs:u9');
    expect(await store.memberJobs.get('u9').catch(absentIfCorrupt)).toBeUndefined();
    expect(() => absentIfCorrupt(new Error('store down'))).toThrow('store down');
  });

  it('is refused on write, and nothing is written', async () => {
    await expect(store.memberJobs.set('u10', [''] as string[])).rejects.toThrow();
    expect(await meta.get('jobs:u10')).toBeUndefined();
  });

  it('settings: the cache fails closed for that server (paused, issue 9) and keeps the others', async () => {
    const good = GuildSettingsSchema.parse({ allowedRoles: ['r1'] });
    await store.settings.set('g3', good);
    await settingsNs.set('g4', { allowedRoles: 'everyone' });
    const lines: string[] = [];
    const logger = pino({}, { write: (l: string) => void lines.push(l) }) as unknown as Logger;
    const cache = createSettingsCache({ store, logger });
    await cache.start();
    cache.stop();
    expect(cache.get('g3')).toEqual(good);
    // Never the defaults: those would drop the server's channel/role limits and caps.
    expect(cache.get('g4')).toEqual({ ...DEFAULT_SETTINGS, paused: true, failedClosed: { at: expect.any(Number) as number, alerted: false } });
    // The incident waits for its one admin alert (src/settings/alerts.ts).
    expect(cache.failedClosedUnalerted()).toEqual(['g4']);
    expect((await store.settings.get('g4'))?.paused).toBe(true);
    expect(lines.some((l) => l.includes('stored settings do not parse') && l.includes('g4'))).toBe(true);
  });

  it('usage: a damaged day counts from zero instead of refusing every job', async () => {
    const day = '2026-12-02';
    await meta.set(`usage:g5:${day}`, { total: 'lots' });
    const ledger = createUsageLedger({ store, now: () => Date.parse(`${day}T12:00:00Z`) });
    const r = await ledger.reserve('g5', 'u1', 4, GuildSettingsSchema.parse({ serverDailyBudget: 10 }), 'j1');
    expect(r).toMatchObject({ ok: true, serverLeft: 6 });
    expect(await meta.get(`usage:g5:${day}`)).toEqual({
      total: 4,
      members: { u1: 4 },
      open: { j1: { userId: 'u1', weight: 4, at: Date.parse(`${day}T12:00:00Z`) } },
    });
  });
});

describe('parseStoreUrl', () => {
  it.each([
    ['sqlite://data/vidu.sqlite', { kind: 'sqlite', file: 'data/vidu.sqlite' }],
    ['redis://127.0.0.1:6379/2', { kind: 'redis', url: 'redis://127.0.0.1:6379/2' }],
    ['rediss://u:p@h:6380/0', { kind: 'redis', url: 'rediss://u:p@h:6380/0' }],
    ['postgres://x', undefined],
    ['sqlite://', undefined],
  ])('%s', (url, expected) => {
    expect(parseStoreUrl(url)).toEqual(expected);
  });
});
