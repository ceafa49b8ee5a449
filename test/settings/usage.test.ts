import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MODEL_WEIGHTS, checkAccess, checkCaps, jobWeight, type GuildSettings } from '../../src/settings/settings.js';
import { createUsageLedger, describeReservationRefusal, nextUtcMidnight, utcDay } from '../../src/settings/usage.js';
import { openStore, type Store } from '../../src/store/index.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-usage-'));
  store = await openStore(`sqlite://${join(dir, 's.sqlite')}`);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const limits: GuildSettings = { ...DEFAULT_SETTINGS, memberDailyLimit: 20, serverDailyBudget: 30 };

describe('weights', () => {
  it.each([
    ['viduq3-turbo', 5, 5],
    ['viduq3-pro', 5, 10],
    ['viduq3', 5, 8],
    ['viduq3-pro', 16, 32],
  ] as const)('%s for %i s weighs %i', (model, duration, weight) => {
    expect(jobWeight({ model, duration })).toBe(weight);
  });
  it('pro weighs twice turbo', () => {
    expect(MODEL_WEIGHTS['viduq3-pro']).toBe(2 * MODEL_WEIGHTS['viduq3-turbo']);
  });
});

describe('usage ledger over a real SQLite store', () => {
  it('refuses over the member limit with the numbers, and counts per server', async () => {
    let now = Date.UTC(2026, 10, 24, 12, 0, 0);
    const ledger = createUsageLedger({ store, now: () => now });
    expect(await ledger.reserve('g1', 'u1', 15, limits, 'job1')).toMatchObject({ ok: true, memberLeft: 5, serverLeft: 15 });
    const refused = await ledger.reserve('g1', 'u1', 10, limits, 'job2');
    expect(refused).toMatchObject({ ok: false, scope: 'member', used: 15, limit: 20, weight: 10 });
    if (refused.ok) throw new Error('unreachable');
    expect(describeReservationRefusal(refused)).toBe(
      `This video weighs 10 video-seconds, but you have only 5 left of this server's 20 per member today (15 used). It resets <t:${Date.UTC(2026, 10, 25) / 1000}:R>. Try a shorter or cheaper video (viduq3-turbo weighs half of viduq3-pro). Nothing was started.`,
    );
    expect(await ledger.reserve('g1', 'u2', 10, limits, 'job3')).toMatchObject({ ok: true, serverLeft: 5 });
    expect(await ledger.reserve('g1', 'u3', 10, limits, 'job4')).toMatchObject({ ok: false, scope: 'server', used: 25 });
    // Another server is separate.
    expect(await ledger.reserve('g2', 'u1', 15, limits, 'job5')).toMatchObject({ ok: true });
    now += 1;
  });

  it('a refund gives the weight back', async () => {
    const now = Date.UTC(2026, 10, 24, 12);
    const ledger = createUsageLedger({ store, now: () => now });
    const r = await ledger.reserve('g1', 'u1', 20, limits, 'job6');
    expect(await ledger.reserve('g1', 'u1', 1, limits, 'job7')).toMatchObject({ ok: false });
    if (!r.ok) throw new Error('unreachable');
    await ledger.refund('g1', r.day, 'job6');
    expect(await ledger.reserve('g1', 'u1', 20, limits, 'job8')).toMatchObject({ ok: true });
  });

  it('resets at the UTC day boundary, and survives a restart (a new store over the same file)', async () => {
    let now = Date.UTC(2026, 10, 24, 23, 59, 0);
    const ledger = createUsageLedger({ store, now: () => now });
    await ledger.reserve('g1', 'u1', 20, limits, 'job9');
    const refused = await ledger.reserve('g1', 'u1', 1, limits, 'job10');
    expect(refused).toMatchObject({ ok: false, resetsAt: Date.UTC(2026, 10, 25) });

    await store.close();
    store = await openStore(`sqlite://${join(dir, 's.sqlite')}`);
    const after = createUsageLedger({ store, now: () => now });
    expect(await after.reserve('g1', 'u1', 1, limits, 'job11')).toMatchObject({ ok: false, used: 20 });
    now = Date.UTC(2026, 10, 25, 0, 0, 1);
    expect(await after.reserve('g1', 'u1', 20, limits, 'job12')).toMatchObject({ ok: true, day: '2026-11-25', memberLeft: 0 });
  });

  it('concurrent reservations never overspend', async () => {
    const ledger = createUsageLedger({ store, now: () => Date.UTC(2026, 0, 1) });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.reserve('g1', `u${i}`, 5, limits, `job-c${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
  });

  it('utcDay and nextUtcMidnight', () => {
    expect(utcDay(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe('2026-12-31');
    expect(nextUtcMidnight(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe(Date.UTC(2027, 0, 1));
  });
});

describe('access and caps', () => {
  const who = { channelId: 'c1', roleIds: ['r1'], isAdmin: false };
  it('empty settings allow everything', () => {
    expect(checkAccess(DEFAULT_SETTINGS, who)).toBeUndefined();
    expect(checkCaps(DEFAULT_SETTINGS, { model: 'viduq3-pro', resolution: '1080p', duration: 16 })).toBeUndefined();
  });
  it('threads count as their parent channel; admins pass channel and role rules but not a pause', () => {
    const s = { ...DEFAULT_SETTINGS, allowedChannels: ['parent'], allowedRoles: ['r9'] };
    expect(checkAccess(s, { ...who, channelId: 'thread', parentChannelId: 'parent' })).toEqual({ code: 'role', allowed: ['r9'] });
    expect(checkAccess(s, { ...who, isAdmin: true })).toBeUndefined();
    expect(checkAccess({ ...s, paused: true }, { ...who, isAdmin: true })).toEqual({ code: 'paused' });
  });
  it('caps compare resolution by order', () => {
    const s = { ...DEFAULT_SETTINGS, caps: { models: [], maxResolution: '720p' as const } };
    expect(checkCaps(s, { model: 'viduq3-turbo', resolution: '540p', duration: 5 })).toBeUndefined();
    expect(checkCaps(s, { model: 'viduq3-turbo', resolution: '1080p', duration: 5 })).toEqual({ code: 'resolution', resolution: '1080p', max: '720p' });
  });
});
