/**
 * listPending on a real Redis while pending entries disappear: @keyv/redis iterates with SCAN
 * and reads each batch with MGET, so a key that finishes (or is handed over) between the two
 * comes back empty. That is a task no longer pending, not a corrupt row.
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNamespaces, parseStoreUrl, type Namespaces } from '../../src/store/keyv.js';
import { createTaskRepository } from '../../src/store/tasks.js';
import type { CorruptRow } from '../../src/store/index.js';
import { record, snowflake } from '../tasks/records.js';
import { REDIS_DB_OFFSET, redisDatabaseUrl } from '../support/redis.js';

describe.skipIf(!process.env.REDIS_URL)('listPending on Redis (REDIS_URL set)', () => {
  const url = process.env.REDIS_URL ? redisDatabaseUrl(REDIS_DB_OFFSET.pendingRace) : '';
  const admin = createClient({ url });
  let ns: Namespaces;

  beforeAll(async () => {
    await admin.connect();
    await admin.flushDb();
    ns = openNamespaces(parseStoreUrl(url)!);
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(ns).map((k) => k.disconnect()));
    await admin.flushDb();
    await admin.close();
  });

  it('skips entries deleted between SCAN and MGET, without calling them corrupt', async () => {
    const corrupt: CorruptRow[] = [];
    const repo = createTaskRepository(ns, { onCorrupt: (row) => corrupt.push(row) });
    const ids = Array.from({ length: 30 }, () => snowflake());
    for (const id of ids) await repo.put(record({ interaction: { id } }, { state: 'running' }));

    // Delete some keys of each batch after SCAN returned them and before MGET reads them.
    const adapter = ns.pending.store as { mget(keys: string[]): Promise<unknown[]> };
    const mget = adapter.mget.bind(adapter);
    const vanished = new Set<string>();
    adapter.mget = async (keys) => {
      for (const key of keys.filter((_, i) => i % 3 === 0)) {
        await admin.del(key);
        vanished.add(key.slice(key.lastIndexOf(':') + 1));
      }
      return mget(keys);
    };
    try {
      const listed = await repo.listPending();
      expect(vanished.size).toBeGreaterThan(0);
      expect(listed.map((e) => e.id).sort()).toEqual(ids.filter((id) => !vanished.has(id)).sort());
      expect(corrupt).toEqual([]);
      expect(await admin.keys('meta:quarantine:*')).toEqual([]);
    } finally {
      adapter.mget = mget;
    }
  });
});
