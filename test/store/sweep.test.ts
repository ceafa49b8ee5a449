import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type StoreLocation } from '../../src/store/index.js';
import { openNamespaces } from '../../src/store/keyv.js';

/**
 * Issue 9: expired rows are really deleted on SQLite, so a store under churn stops growing.
 * Real SQLite file; size measured in pages (PRAGMA page_count), which is what the file holds.
 */
const dir = mkdtempSync(join(tmpdir(), 'vidu-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROUNDS = 6;
const ROWS_PER_ROUND = 150;
const payload = 'x'.repeat(2_000);

async function churn(sweep: boolean): Promise<{ pages: number[]; rows: number }> {
  const location: StoreLocation = { kind: 'sqlite', file: join(dir, `churn-${sweep}.sqlite`) };
  const store = await openStore(location);
  const ns = openNamespaces(location);
  const query = (sql: string) => (ns.meta.store as { query(s: string): Promise<Record<string, number>[]> }).query(sql);
  const pages: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rows that expire at once: finished jobs, dedupe markers, alert stamps over days.
      for (let i = 0; i < ROWS_PER_ROUND; i++) await ns.meta.set(`churn:${round}:${i}`, { payload }, 1);
      // Every row of this round has expired a second from now.
      if (sweep) await store.sweepExpired(Date.now() + 1_000);
      // Checkpoint so the main file reflects every write (WAL mode), then measure it.
      await query('PRAGMA wal_checkpoint(TRUNCATE)');
      pages.push((await query('PRAGMA page_count'))[0]!.page_count!);
    }
    const rows = (await query("SELECT count(*) AS n FROM keyv WHERE key LIKE 'meta:churn:%'"))[0]!.n!;
    return { pages, rows };
  } finally {
    await store.close();
    await Promise.all(Object.values(ns).map((k) => k.disconnect()));
  }
}

describe('sweepExpired on SQLite', () => {
  it('without it, expired rows stay and the file keeps growing (control)', async () => {
    const { pages, rows } = await churn(false);
    expect(rows).toBe(ROUNDS * ROWS_PER_ROUND);
    expect(pages.at(-1)!).toBeGreaterThan(pages[1]! * 2);
  });

  it('with it, expired rows are deleted and the file stops growing (freed pages are reused)', async () => {
    const { pages, rows } = await churn(true);
    expect(rows).toBe(0);
    // After the first rounds the page count is flat: the last is no bigger than round 2's plus slack.
    expect(pages.at(-1)!).toBeLessThanOrEqual(pages[1]! + 4);
  });

  it('keeps rows that have not expired and rows without a TTL', async () => {
    const location: StoreLocation = { kind: 'sqlite', file: join(dir, 'keep.sqlite') };
    const store = await openStore(location);
    const ns = openNamespaces(location);
    try {
      await ns.meta.set('forever', 1);
      await ns.meta.set('later', 2, 60_000);
      await ns.meta.set('gone', 3, 1);
      expect(await store.sweepExpired(Date.now() + 1_000)).toBe(1);
      expect(await ns.meta.get('forever')).toBe(1);
      expect(await ns.meta.get('later')).toBe(2);
    } finally {
      await store.close();
      await Promise.all(Object.values(ns).map((k) => k.disconnect()));
    }
  });
});
