/**
 * Deletes expired rows from a SQLite store. keyv only drops an expired row when that key is
 * read again, and @keyv/sqlite never does on its own, so finished jobs (30-day TTL) and other
 * expiring rows would pile up forever. Deleted pages go on SQLite's freelist and are reused by
 * later writes, so under steady churn the file stops growing. Redis expires keys itself.
 */
import type { Namespaces, StoreLocation } from './keyv.js';
import { timed } from './keyv.js';

/** How often main.ts runs {@link sweepExpired}, ms. Default 1 h. */
export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** @keyv/sqlite's table (the default name; src/store/keyv.ts does not change it). */
const TABLE = 'keyv';

/**
 * Deletes every row whose keyv `expires` (ms since epoch) is before `nowMs`; returns how many.
 * Rows that are not JSON are left for the quarantine (src/store/family.ts). No-op on Redis.
 */
export async function sweepExpired(location: StoreLocation, ns: Namespaces, nowMs = Date.now()): Promise<number> {
  if (location.kind !== 'sqlite') return 0;
  const adapter = ns.meta.store as { query(sql: string, params?: unknown[]): Promise<unknown[]> };
  const sql = `DELETE FROM ${TABLE} WHERE json_valid(value) AND json_type(value, '$.expires') IN ('integer', 'real') AND json_extract(value, '$.expires') < ? RETURNING key`;
  const deleted = await timed('sweep', adapter.query(sql, [nowMs]));
  return deleted.length;
}
