import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Keyv from 'keyv';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/settings/settings.js';
import { StoredValueError, openStore, type CorruptRow, type Store, type StoreLocation } from '../../src/store/index.js';
import { adapterKey } from '../../src/store/family.js';
import { openNamespaces } from '../../src/store/keyv.js';
import { record } from '../tasks/records.js';

/**
 * Issue 9, "Bad data never takes the bot down": rows that are not JSON, have the wrong shape or
 * are `null` are set aside once (logged with their key, moved to quarantine) and the store keeps
 * working; settings fail closed. Real SQLite file, and real Redis when REDIS_URL is set.
 */
const dir = mkdtempSync(join(tmpdir(), 'vidu-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const locations: [string, () => StoreLocation][] = [['sqlite', () => ({ kind: 'sqlite', file: join(dir, `c-${Date.now()}-${Math.random()}.sqlite`) })]];
if (process.env.REDIS_URL) locations.push(['redis', () => ({ kind: 'redis', url: process.env.REDIS_URL! })]);

/** Writes `text` as the stored row itself, bypassing keyv's serialiser (as a bad write or a bad edit would). */
async function writeRaw(kv: Keyv, key: string, text: string): Promise<void> {
  await (kv.store as { set(k: string, v: string): Promise<unknown> }).set(adapterKey(kv, key), text);
}

const GOOD_SETTINGS = JSON.stringify({ value: { ...DEFAULT_SETTINGS, cooldownSeconds: 7 }, expires: null });

describe.each(locations)('corrupted rows at start (%s)', (_kind, where) => {
  let store: Store | undefined;
  let raw: ReturnType<typeof openNamespaces> | undefined;
  afterEach(async () => {
    await store?.close();
    await Promise.allSettled(Object.values(raw ?? {}).map((k) => k.disconnect()));
    store = undefined;
    raw = undefined;
  });

  async function seeded() {
    const location = where();
    raw = openNamespaces(location);
    // Redis clients connect on first use.
    await Promise.all(Object.values(raw).map((k) => k.get('warmup')));
    if (location.kind === 'redis') await (raw.meta.store as { client: { flushDb(): Promise<unknown> } }).client.flushDb();
    const good = record({}, { state: 'running', nextAt: 1 });
    const corrupt: CorruptRow[] = [];
    store = await openStore(location, { onCorrupt: (row) => corrupt.push(row) });
    await store.put(good);
    // Task records: not JSON, wrong shape, a JSON null value; each with a pending entry pointing at it.
    await writeRaw(raw.task, 'notjson', '{"value": {"id": "notjson", ');
    await writeRaw(raw.task, 'shape', JSON.stringify({ value: { id: 'shape', state: 'flying' }, expires: null }));
    await writeRaw(raw.task, 'nullrow', 'null');
    for (const id of ['notjson', 'shape', 'nullrow']) {
      await writeRaw(raw.pending, id, JSON.stringify({ value: { id, guildId: null, userId: 'u', nextAt: 1 }, expires: null }));
    }
    // Pending entries and settings that do not parse.
    await writeRaw(raw.pending, 'p-notjson', 'garbage');
    await writeRaw(raw.pending, 'p-null', 'null');
    await writeRaw(raw.settings, 'g-good', GOOD_SETTINGS);
    await writeRaw(raw.settings, 'g-notjson', '%%%');
    await writeRaw(raw.settings, 'g-shape', JSON.stringify({ value: { paused: 'sometimes', cooldownSeconds: -4 }, expires: null }));
    await writeRaw(raw.settings, 'g-null', JSON.stringify({ value: null, expires: null }));
    return { store, good, corrupt, raw };
  }

  it('listing pending work skips and quarantines bad entries instead of throwing', async () => {
    const { store, good, corrupt } = await seeded();
    const ids = (await store.listPending()).map((e) => e.id).sort();
    expect(ids).toEqual([good.id, 'notjson', 'nullrow', 'shape'].sort());
    expect(corrupt.map((c) => c.key).sort()).toEqual(['p-notjson', 'p-null']);
    // Set aside: a second pass finds nothing more to report.
    await store.listPending();
    expect(corrupt).toHaveLength(2);
  });

  it.each(['notjson', 'shape'])('a task record that does not parse (%s) fails once with its key, then is gone with its pending entry', async (id) => {
    const { store, corrupt, raw } = await seeded();
    const err = await store.get(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoredValueError);
    expect((err as StoredValueError).key).toBe(id);
    expect(corrupt).toEqual([expect.objectContaining({ family: 'task', key: id, quarantineKey: `quarantine:task:${id}` })]);
    // No loop: the next read is a plain "absent", and no restart resumes it.
    await expect(store.get(id)).resolves.toBeUndefined();
    expect((await store.listPending()).map((e) => e.id)).not.toContain(id);
    const kept = (await raw.meta.get(`quarantine:task:${id}`)) as { raw: string; family: string };
    expect(kept.family).toBe('task');
    expect(kept.raw.length).toBeGreaterThan(0);
    expect(corrupt.filter((c) => c.key === id)).toHaveLength(1);
  });

  it('getMany sets bad rows aside like get does, and still returns the good ones', async () => {
    const { store, good, corrupt, raw } = await seeded();
    const ids = [good.id, 'shape', 'missing', 'nullrow'];
    const values = await store.getMany(ids);
    expect(values.map((v) => v?.id)).toEqual([good.id, undefined, undefined, undefined]);
    expect(corrupt).toEqual([expect.objectContaining({ family: 'task', key: 'shape', quarantineKey: 'quarantine:task:shape' })]);
    expect(((await raw.meta.get('quarantine:task:shape')) as { family: string }).family).toBe('task');
    expect((await store.listPending()).map((e) => e.id)).not.toContain('shape');
    // A row that is not JSON fails keyv's whole batch: it is set aside alone, the rest still read.
    const again = await store.getMany([good.id, 'notjson']);
    expect(again.map((v) => v?.id)).toEqual([good.id, undefined]);
    const tasks = () => corrupt.filter((c) => c.family === 'task').map((c) => c.key);
    expect(tasks()).toEqual(['shape', 'notjson']);
    // Set aside once: later reads are a plain "absent" and report nothing more.
    expect((await store.getMany(['shape', 'notjson'])).every((v) => v === undefined)).toBe(true);
    expect(tasks()).toEqual(['shape', 'notjson']);
  });

  it('a task row that is null reads as absent (nothing to set aside)', async () => {
    const { store } = await seeded();
    await expect(store.get('nullrow')).resolves.toBeUndefined();
  });

  it('settings that cannot be parsed fail closed: the server is paused, the good one is untouched', async () => {
    const { store, corrupt } = await seeded();
    const seen = new Map<string, unknown>();
    for await (const [key, value] of store.settings.entries()) seen.set(key, value);
    expect((seen.get('g-good') as { cooldownSeconds: number }).cooldownSeconds).toBe(7);
    for (const key of ['g-notjson', 'g-shape', 'g-null']) expect(seen.get(key)).toBeInstanceOf(StoredValueError);
    expect(corrupt.map((c) => c.key).sort()).toEqual(['g-notjson', 'g-null', 'g-shape']);
    // The replacement is persistent (another shard or a restart reads paused too, never defaults).
    for (const key of ['g-notjson', 'g-shape', 'g-null']) expect((await store.settings.get(key))?.paused).toBe(true);
    expect((await store.settings.get('g-good'))?.paused).toBe(false);
  });
});

describe('store.ping (what /healthz calls on every probe)', () => {
  it('reads only: the stored probe value does not change however often it is called', async () => {
    const location: StoreLocation = { kind: 'sqlite', file: join(dir, 'ping.sqlite') };
    const store = await openStore(location);
    const ns = openNamespaces(location);
    try {
      const before: unknown = await ns.meta.get('ping');
      expect(typeof before).toBe('number');
      for (let i = 0; i < 5; i++) await store.ping();
      expect(await ns.meta.get('ping')).toBe(before);
    } finally {
      await store.close();
      await Promise.all(Object.values(ns).map((k) => k.disconnect()));
    }
  });
});
