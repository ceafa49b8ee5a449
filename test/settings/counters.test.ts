/**
 * The shared counters behind the operator caps and member safeguards, on both back ends: a real
 * SQLite file (the store's `meta` namespace) and real Redis (two independent connections on the
 * same database, as two shards would have).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCounters, createStoreCounters, type Counters } from '../../src/settings/counters.js';
import { createMemberGate, createOperatorLedger, describeOperatorRefusal } from '../../src/settings/operator.js';
import { openStore, type Store } from '../../src/store/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const LIMITS = { windowMs: 60_000, perWindow: 3, maxInFlight: 2, inFlightMaxAgeMs: 3_600_000 };

interface Backend {
  name: string;
  /** Two handles on the same data (two shards on Redis; the one owning process on SQLite). */
  open(): Promise<[Counters, Counters]>;
  close(): Promise<void>;
}

let dir: string;
let store: Store | undefined;
const redisOpen: Counters[] = [];

const sqlite: Backend = {
  name: 'SQLite file',
  async open() {
    store = await openStore(`sqlite://${join(dir, `c-${Math.random().toString(36).slice(2)}.sqlite`)}`);
    const c = createStoreCounters(store);
    return [c, c];
  },
  async close() {
    await store?.close();
    store = undefined;
  },
};

const redis: Backend = {
  name: 'Redis (two connections)',
  async open() {
    const admin = createClient({ url: process.env.REDIS_URL });
    await admin.connect();
    await admin.flushDb();
    await admin.close();
    const pair = [await createRedisCounters(process.env.REDIS_URL!), await createRedisCounters(process.env.REDIS_URL!)] as [Counters, Counters];
    redisOpen.push(...pair);
    return pair;
  },
  async close() {
    await Promise.all(redisOpen.splice(0).map((c) => c.close()));
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-counters-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const backends = [sqlite, ...(process.env.REDIS_URL ? [redis] : [])];

describe.each(backends)('counters on $name', (backend) => {
  afterEach(() => backend.close());

  it('reserves all or nothing, names the line that refused, and gives back without going below zero', async () => {
    const [c] = await backend.open();
    const day = '2026-12-01';
    const lines = [
      { key: 'u:1', limit: 10 },
      { key: 'bot', limit: 12 },
    ];
    expect(await c.reserve(lines, 6, DAY_MS, { ids: ['j1'], day, at: 1 })).toEqual({ ok: true, used: [6, 6] });
    // The member line would go over: nothing is added to the bot line either.
    expect(await c.reserve(lines, 5, DAY_MS, { ids: ['j2'], day, at: 2 })).toEqual({ ok: false, index: 0, used: 6 });
    expect(await c.read(['u:1', 'bot'])).toEqual([6, 6]);
    const other = [
      { key: 'u:2', limit: 10 },
      { key: 'bot', limit: 12 },
    ];
    expect(await c.reserve(other, 7, DAY_MS, { ids: ['j3'], day, at: 3 })).toEqual({ ok: false, index: 1, used: 6 });
    expect(await c.reserve(other, 4, DAY_MS, { ids: ['j4'], day, at: 4 })).toEqual({ ok: true, used: [4, 10] });
    expect((await c.openEntries(day)).map((e) => e.id).sort()).toEqual(['j1', 'j4']);
    await c.release(day, 'j1');
    expect(await c.read(['u:1', 'u:2', 'bot', 'absent'])).toEqual([0, 4, 4, 0]);
    expect((await c.openEntries(day)).map((e) => e.id)).toEqual(['j4']);
  });

  it('a reservation is counted once per job: asked again, released twice or after a commit, nothing moves', async () => {
    const [a, b] = await backend.open();
    const day = '2026-12-01';
    const lines = [{ key: 'u:once', limit: 100 }, { key: 'bot:once' }];
    expect(await a.reserve(lines, 5, DAY_MS, { ids: ['j1'], day, at: 1 })).toEqual({ ok: true, used: [5, 5] });
    // A retried start, through the other handle: already counted.
    expect(await b.reserve(lines, 5, DAY_MS, { ids: ['j1'], day, at: 2 })).toEqual({ ok: true, used: [5, 5] });
    expect(await a.reserve(lines, 3, DAY_MS, { ids: ['j2'], day, at: 3 })).toEqual({ ok: true, used: [8, 8] });
    await a.release(day, 'j1');
    await b.release(day, 'j1');
    await a.commit(day, 'j2');
    await b.release(day, 'j2');
    await a.release(day, 'never-reserved');
    expect(await a.read(['u:once', 'bot:once'])).toEqual([3, 3]);
    expect(await a.openEntries(day)).toEqual([]);
  });

  it('one reservation for several jobs (a story’s clips): the total is checked, each is given back on its own', async () => {
    const [a] = await backend.open();
    const day = '2026-12-01';
    const lines = [{ key: 'u:story', limit: 20 }];
    expect(await a.reserve(lines, 6, DAY_MS, { ids: ['s', 's-1', 's-2', 's-3'], day, at: 1 })).toEqual({ ok: false, index: 0, used: 0 });
    expect(await a.reserve(lines, 6, DAY_MS, { ids: ['s', 's-1', 's-2'], day, at: 1 })).toEqual({ ok: true, used: [18] });
    await a.release(day, 's-2');
    await a.release(day, 's-2');
    await a.commit(day, 's');
    expect(await a.read(['u:story'])).toEqual([12]);
    expect((await a.openEntries(day)).map((e) => e.id)).toEqual(['s-1']);
  });

  it('a key is claimed by exactly one of many simultaneous callers on two handles', async () => {
    const [a, b] = await backend.open();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('webhook-event:evt_1', DAY_MS)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.claim('webhook-event:evt_1', DAY_MS)).toBe(false);
    expect(await b.claim('webhook-event:evt_2', DAY_MS)).toBe(true);
  });

  it('concurrent reservations from two handles never exceed the limit', async () => {
    const [a, b] = await backend.open();
    const line = [{ key: 'u:race', limit: 30 }];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve(line, 5, DAY_MS, { ids: [`r${i}`], day: '2026-12-01', at: i })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    expect(await a.read(['u:race'])).toEqual([30]);
  });

  it('admits within in-flight and per-window limits; finish frees a slot, cancel undoes the start', async () => {
    const [a, b] = await backend.open();
    const t0 = 1_000_000_000;
    expect(await a.admit('job', 'u', 'j1', LIMITS, t0)).toEqual({ ok: true });
    expect(await b.admit('job', 'u', 'j2', LIMITS, t0 + 1_000)).toEqual({ ok: true });
    expect(await a.admit('job', 'u', 'j3', LIMITS, t0 + 2_000)).toEqual({ ok: false, reason: 'in_flight', max: 2 });
    expect(await a.admit('job', 'other', 'k1', LIMITS, t0 + 2_000)).toEqual({ ok: true });
    await b.finish('job', 'u', 'j1');
    expect(await a.admit('job', 'u', 'j3', LIMITS, t0 + 3_000)).toEqual({ ok: true });
    await a.finish('job', 'u', 'j3');
    // Three starts in this minute: the fourth waits until the oldest leaves the window.
    expect(await b.admit('job', 'u', 'j4', LIMITS, t0 + 4_000)).toEqual({ ok: false, reason: 'per_minute', max: 3, retryAtMs: t0 + 60_000 });
    await a.cancel('job', 'u', 'j3');
    expect(await b.admit('job', 'u', 'j4', LIMITS, t0 + 4_000)).toEqual({ ok: true });
    await a.finish('job', 'u', 'j2');
    await a.finish('job', 'u', 'j4');
    expect(await a.admit('job', 'u', 'j5', LIMITS, t0 + 61_000)).toEqual({ ok: true });
  });

  it('an in-flight entry older than its max age stops counting (a job lost in a crash)', async () => {
    const [a] = await backend.open();
    const t0 = 2_000_000_000;
    const limits = { ...LIMITS, maxInFlight: 1, inFlightMaxAgeMs: 120_000 };
    expect(await a.admit('job', 'u', 'lost', limits, t0)).toEqual({ ok: true });
    expect(await a.admit('job', 'u', 'next', limits, t0 + 119_000)).toMatchObject({ ok: false, reason: 'in_flight' });
    expect(await a.admit('job', 'u', 'next', limits, t0 + 121_000)).toEqual({ ok: true });
  });

  it('the operator ledger refuses with used / left / reset and refunds', async () => {
    const [a, b] = await backend.open();
    let now = Date.UTC(2026, 11, 1, 22, 0);
    const limits = { userDailyLimit: 10, dailyBudget: 15, allowDms: true };
    const shard1 = createOperatorLedger({ counters: a, limits, now: () => now });
    const shard2 = createOperatorLedger({ counters: b, limits, now: () => now });
    expect(await shard1.reserve('alice', 8, 'a1')).toMatchObject({ ok: true, reserved: true, userLeft: 2, botLeft: 7 });
    const refused = await shard2.reserve('alice', 4, 'a2');
    expect(refused).toEqual({ ok: false, scope: 'user', weight: 4, used: 8, limit: 10, resetsAt: Date.UTC(2026, 11, 2) });
    if (refused.ok) throw new Error('unreachable');
    expect(describeOperatorRefusal(refused)).toBe(
      `You have reached your daily video allowance on this bot: 8 of 10 weighted video-seconds used, 2 left, and this video needs 4. It resets <t:${Date.UTC(2026, 11, 2) / 1000}:R>. Nothing was started.`,
    );
    expect(await shard2.reserve('bob', 8, 'b1')).toMatchObject({ ok: false, scope: 'bot', used: 8, limit: 15 });
    await shard2.refund('a1', '2026-12-01');
    expect(await shard1.today('alice')).toEqual({ user: 0, bot: 0 });
    expect(await shard2.reserve('bob', 8, 'b1')).toMatchObject({ ok: true });
    // A new UTC day starts from zero.
    now += 3 * 60 * 60 * 1000;
    expect(await shard1.reserve('bob', 10, 'b2')).toMatchObject({ ok: true, userLeft: 0 });
  });

  it('reconcile gives back reservations whose job was never stored (a kill before the record), and only those', async () => {
    const [a] = await backend.open();
    let now = Date.UTC(2026, 11, 1, 12);
    const ledger = createOperatorLedger({ counters: a, limits: { userDailyLimit: 100, allowDms: true }, now: () => now });
    await ledger.reserve('alice', 5, 'stored');
    await ledger.reserve('alice', 7, 'orphan');
    now += 60_000;
    await ledger.reserve('alice', 2, 'fresh');
    const stored = new Set(['stored']);
    expect(await ledger.reconcile(['2026-12-01'], now - 30_000, (id) => Promise.resolve(stored.has(id)))).toBe(1);
    expect(await ledger.today('alice')).toEqual({ user: 7, bot: 0 });
    expect(await ledger.reconcile(['2026-12-01'], now - 30_000, (id) => Promise.resolve(stored.has(id)))).toBe(0);
  });

  it('the member gate keeps re-posts in a window of their own', async () => {
    const [a] = await backend.open();
    let now = 3_000_000_000;
    const gate = createMemberGate({ counters: a, limits: { maxInFlight: 5, submitsPerMinute: 1 }, inFlightMaxAgeMs: 3_600_000, now: () => now });
    expect(await gate.admitJob('u', 'j1')).toEqual({ ok: true });
    expect(await gate.admitRepost('u', 's1')).toEqual({ ok: true });
    expect(await gate.admitRepost('u', 's2')).toMatchObject({ ok: false, reason: 'per_minute' });
    expect(await gate.admitJob('u', 'j2')).toMatchObject({ ok: false, reason: 'per_minute' });
    now += 60_001;
    expect(await gate.admitJob('u', 'j2')).toEqual({ ok: true });
  });
});

describe('no operator limits set', () => {
  it('counts nothing and refuses nothing', async () => {
    const s = await openStore(`sqlite://${join(await mkdtemp(join(tmpdir(), 'vidu-counters-')), 'x.sqlite')}`);
    try {
      const c = createStoreCounters(s);
      const ledger = createOperatorLedger({ counters: c, limits: { allowDms: true }, now: () => 0 });
      expect(await ledger.reserve('u', 1_000_000, 'j')).toEqual({ ok: true, day: '1970-01-01', weight: 1_000_000, reserved: false });
      expect(await ledger.today('u')).toEqual({ user: 0, bot: 0 });
    } finally {
      await s.close();
    }
  });
});
