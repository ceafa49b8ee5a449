/**
 * The check that gives back reservations a kill left without a job (src/settings/spend.ts),
 * over a real SQLite store with the real ledgers: only reservations with no record go back — a
 * story's later clips count as their run's first record, which exists before they do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStoreCounters } from '../../src/settings/counters.js';
import { createOperatorLedger } from '../../src/settings/operator.js';
import { GuildSettingsSchema } from '../../src/settings/settings.js';
import { createReservationCheck, reservationOwnerId } from '../../src/settings/spend.js';
import { createUsageLedger } from '../../src/settings/usage.js';
import { openStore, type Store } from '../../src/store/index.js';
import { record, snowflake } from '../tasks/records.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-spend-'));
  store = await openStore(`sqlite://${join(dir, 's.sqlite')}`);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('giving back reservations without a job', () => {
  it('names the record a reservation belongs to', () => {
    expect(reservationOwnerId('1577594221727096859')).toBe('1577594221727096859');
    expect(reservationOwnerId('1577594221727096859-2')).toBe('1577594221727096859');
  });

  it('gives back an orphan, keeps a stored job and the not-yet-written clips of a story, and reads each record once', async () => {
    let now = Date.UTC(2026, 11, 2, 12);
    const settings = GuildSettingsSchema.parse({ serverDailyBudget: 1_000 });
    const usage = createUsageLedger({ store, now: () => now });
    const operator = createOperatorLedger({ counters: createStoreCounters(store), limits: { userDailyLimit: 1_000, allowDms: true }, now: () => now });
    const story = record({ interaction: { id: snowflake() } });
    await store.put(story);
    const guildId = story.owner.guildId!;
    const userId = story.owner.userId;
    const clips = [story.id, `${story.id}-1`, `${story.id}-2`];
    const orphan = snowflake();
    for (const ids of [clips, [orphan]]) {
      expect(await usage.reserve(guildId, userId, 5, settings, ids)).toMatchObject({ ok: true });
      expect(await operator.reserve(userId, 5, ids)).toMatchObject({ ok: true });
    }
    now += 120_000;
    // Younger than the margin: another process may be about to store its record.
    const fresh = snowflake();
    await usage.reserve(guildId, userId, 5, settings, fresh);
    await operator.reserve(userId, 5, fresh);

    const reads: string[] = [];
    const counted: Pick<Store, 'get'> = { get: (id) => (reads.push(id), store.get(id)) };
    const check = createReservationCheck({ store: counted, operator, usage, guildIds: () => [guildId], marginMs: 60_000, now: () => now });
    expect(await check()).toEqual({ operator: 1, server: 1 });
    expect((await usage.today(guildId)).total).toBe(20);
    expect(await operator.today(userId)).toMatchObject({ user: 20 });
    expect(Object.keys((await usage.today(guildId)).open).sort()).toEqual([...clips, fresh].sort());

    // The next pass gives nothing more back and reads the story's record no more.
    const readsBefore = reads.filter((id) => id === story.id).length;
    expect(await check()).toEqual({ operator: 0, server: 0 });
    expect(reads.filter((id) => id === story.id).length).toBe(readsBefore);
  });
});
