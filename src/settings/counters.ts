/**
 * Counters that bound spend and pace across restarts and shards (issue 9): the operator's daily
 * ledgers (`VIDU_USER_DAILY_LIMIT` per member everywhere, `VIDU_DAILY_BUDGET` for the whole bot)
 * and each member's safeguards (jobs in flight, job starts per rolling minute). They live in the
 * store, never in process memory:
 *
 * - Redis (sharded deployments): every check-and-add is one Lua script, atomic across processes.
 *   Keys: `vidu:spend:<name>` (a number, expires a few days after its UTC day),
 *   `vidu:gate:<window>:<userId>` (a sorted set of job id → ms).
 * - SQLite (one process owns the file): the same records as store families (src/store/counters.ts),
 *   each read-modify-write serialised in this process.
 *
 * Both back ends implement {@link Counters}; callers never see which one they have.
 */
import { createClient } from '@redis/client';
import { absentIfCorrupt, type Families, type StoreLocation } from '../store/index.js';
import type { GateRecord, OpenSpend } from '../store/counters.js';
import type { LimitVerdict } from '../tasks/limits.js';

/** One ledger line of a reservation: its key, and the limit it must stay within (none = counted only). */
export interface SpendLine {
  key: string;
  limit?: number;
}

export type SpendResult =
  /** `used` holds each line's total after the reservation, in order. */
  | { ok: true; used: number[] }
  /** Line `index` would go over its limit; `used` is its total before. Nothing was added anywhere. */
  | { ok: false; index: number; used: number };

/** What a rate window admits. */
export interface GateLimits {
  /** Entries younger than this count against `perWindow`, ms. */
  windowMs: number;
  perWindow: number;
  /** Jobs in flight at once; omit for actions that are not jobs (re-posts). */
  maxInFlight?: number;
  /** An in-flight entry older than this no longer counts (a job lost in a crash), ms. */
  inFlightMaxAgeMs: number;
}

/**
 * One reservation: the job ids it is made for (one, or each clip of a story — each reserves the
 * same amount and is given back on its own), the UTC day its spend counts on, and when it was made.
 */
export interface SpendEntry {
  ids: readonly string[];
  day: string;
  at: number;
}

export interface Counters {
  /**
   * Adds `amount` for each of `entry.ids` to every line if none would go over its limit; all or
   * nothing, atomic, and recorded as one open entry per id. Idempotent: asked again while the
   * first id is open, nothing is added.
   */
  reserve(lines: readonly SpendLine[], amount: number, ttlMs: number, entry: SpendEntry): Promise<SpendResult>;
  /** Gives back what the open entry `id` of `day` reserved, once (never below zero); absent = nothing. */
  release(day: string, id: string): Promise<void>;
  /** The entry's spend is final (its job succeeded, or was stopped): it can no longer be given back. */
  commit(day: string, id: string): Promise<void>;
  /** Entries of `day` still open. */
  openEntries(day: string): Promise<{ id: string; at: number }[]>;
  /** Current totals of `keys` (0 when absent). */
  read(keys: readonly string[]): Promise<number[]>;
  /**
   * Takes `key` for `ttlMs` if nobody has: true for exactly one caller across every process
   * sharing the store (a webhook event id, so a duplicate delivered to two shards acts once).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Admits `entryId` (a job id) into `window` for `userId` at `nowMs` if the member is under
   * both limits, and records it — check and record are one atomic step.
   */
  admit(window: string, userId: string, entryId: string, limits: GateLimits, nowMs: number): Promise<LimitVerdict>;
  /** The job left the in-flight set (it finished, or was never started). */
  finish(window: string, userId: string, entryId: string): Promise<void>;
  /** Undoes an admission entirely (the job was refused later, nothing started). */
  cancel(window: string, userId: string, entryId: string): Promise<void>;
  close(): Promise<void>;
}

// ---- Redis -----------------------------------------------------------------------------

/**
 * KEYS: ledger keys, then the day's open-entry hash. ARGV[1] amount per id, ARGV[2] ttl ms,
 * ARGV[3] entry ids (comma-separated), ARGV[4] entry time, ARGV[4+i] limit of KEYS[i] ('' = none).
 */
const RESERVE_LUA = `
local n = #KEYS - 1
local open = KEYS[#KEYS]
local ids = {}
for id in string.gmatch(ARGV[3], '[^,]+') do ids[#ids + 1] = id end
if redis.call('HEXISTS', open, ids[1]) == 1 then
  local again = {1, 0}
  for i = 1, n do again[#again + 1] = redis.call('GET', KEYS[i]) or '0' end
  return again
end
local each = tonumber(ARGV[1])
local amount = each * #ids
for i = 1, n do
  local limit = ARGV[i + 4]
  if limit ~= '' then
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    if used + amount > tonumber(limit) then return {0, i, tostring(used)} end
  end
end
local out = {1, 0}
local keys = {}
for i = 1, n do
  out[#out + 1] = redis.call('INCRBYFLOAT', KEYS[i], amount)
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  keys[i] = KEYS[i]
end
for _, id in ipairs(ids) do
  redis.call('HSET', open, id, cjson.encode({amount = each, at = tonumber(ARGV[4]), keys = keys}))
end
redis.call('PEXPIRE', open, ARGV[2])
return out
`;

/** KEYS[1] the day's open-entry hash. ARGV[1] entry id. Gives back what the entry added, once. */
const RELEASE_LUA = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
for _, key in ipairs(entry.keys) do
  if redis.call('EXISTS', key) == 1 then
    local v = tonumber(redis.call('INCRBYFLOAT', key, -entry.amount))
    if v < 0 then redis.call('SET', key, '0', 'KEEPTTL') end
  end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

/**
 * KEYS[1] in-flight set, KEYS[2] window set. ARGV: now, in-flight cutoff, window cutoff,
 * max in flight ('' = not a job), per window, entry id, window ms, in-flight max age ms.
 * Returns {0} admitted, {1} too many in flight, {2, oldestMs} window full.
 */
const ADMIT_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
if ARGV[4] ~= '' and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {1, 0} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {2, first[2]}
end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
end
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {0, 0}
`;

const REDIS_PREFIX = 'vidu:';

/** Counters on Redis at `url` (the store's own database); connects and loads the scripts. */
export async function createRedisCounters(url: string): Promise<Counters> {
  const client = createClient({
    url,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(2_000, 50 * 2 ** retries) },
    disableOfflineQueue: true,
  });
  // Without a listener an 'error' event would crash the process; failures surface per call.
  client.on('error', () => undefined);
  await client.connect();
  const scripts = { reserve: RESERVE_LUA, release: RELEASE_LUA, admit: ADMIT_LUA };
  const shas: Record<keyof typeof scripts, string> = { reserve: '', release: '', admit: '' };
  for (const name of Object.keys(scripts) as (keyof typeof scripts)[]) shas[name] = await client.scriptLoad(scripts[name]);
  /** EVALSHA, re-loading the script once if Redis forgot it (SCRIPT FLUSH, failover). */
  const run = async (name: keyof typeof scripts, keys: string[], args: string[]): Promise<unknown> => {
    try {
      return await client.evalSha(shas[name], { keys, arguments: args });
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      shas[name] = await client.scriptLoad(scripts[name]);
      return client.evalSha(shas[name], { keys, arguments: args });
    }
  };
  const spendKey = (k: string) => `${REDIS_PREFIX}spend:${k}`;
  const openKey = (day: string) => `${REDIS_PREFIX}spend-open:${day}`;
  const gateKeys = (window: string, userId: string) => [`${REDIS_PREFIX}gate:${window}:inflight:${userId}`, `${REDIS_PREFIX}gate:${window}:starts:${userId}`];

  return {
    async reserve(lines, amount, ttlMs, entry) {
      const reply = (await run(
        'reserve',
        [...lines.map((l) => spendKey(l.key)), openKey(entry.day)],
        [String(amount), String(Math.ceil(ttlMs)), entry.ids.join(','), String(entry.at), ...lines.map((l) => (l.limit === undefined ? '' : String(l.limit)))],
      )) as (number | string)[];
      if (Number(reply[0]) === 1) return { ok: true, used: reply.slice(2).map(Number) };
      return { ok: false, index: Number(reply[1]) - 1, used: Number(reply[2]) };
    },
    async release(day, id) {
      await run('release', [openKey(day)], [id]);
    },
    async commit(day, id) {
      await client.hDel(openKey(day), id);
    },
    async openEntries(day) {
      const all = await client.hGetAll(openKey(day));
      return Object.entries(all).flatMap(([id, raw]) => {
        try {
          const at = Number((JSON.parse(raw) as { at?: unknown }).at);
          return Number.isFinite(at) ? [{ id, at }] : [];
        } catch {
          return [];
        }
      });
    },
    async claim(key, ttlMs) {
      const reply = await client.set(`${REDIS_PREFIX}claim:${key}`, '1', { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } });
      return reply === 'OK';
    },
    async read(keys) {
      if (keys.length === 0) return [];
      const values = await client.mGet(keys.map(spendKey));
      return values.map((v) => (v === null ? 0 : Number(v)));
    },
    async admit(window, userId, entryId, limits, nowMs) {
      const reply = (await run('admit', gateKeys(window, userId), [
        String(nowMs),
        String(nowMs - limits.inFlightMaxAgeMs),
        String(nowMs - limits.windowMs),
        limits.maxInFlight === undefined ? '' : String(limits.maxInFlight),
        String(limits.perWindow),
        entryId,
        String(limits.windowMs),
        String(limits.inFlightMaxAgeMs),
      ])) as (number | string)[];
      const code = Number(reply[0]);
      if (code === 0) return { ok: true };
      if (code === 1) return { ok: false, reason: 'in_flight', max: limits.maxInFlight ?? 0 };
      return { ok: false, reason: 'per_minute', max: limits.perWindow, retryAtMs: Number(reply[1]) + limits.windowMs };
    },
    async finish(window, userId, entryId) {
      await client.zRem(gateKeys(window, userId)[0]!, entryId);
    },
    async cancel(window, userId, entryId) {
      const [inFlight, starts] = gateKeys(window, userId);
      await client.multi().zRem(inFlight!, entryId).zRem(starts!, entryId).exec();
    },
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}

// ---- SQLite (store families, one owning process) -------------------------------------------

/**
 * Counters in the store's `spendLines` and `memberGates` families (src/store/counters.ts). One
 * process owns a SQLite file, so serialising every read-modify-write in this process makes each
 * operation atomic.
 */
export function createStoreCounters(store: Pick<Families, 'spendLines' | 'openSpends' | 'memberGates' | 'claims'>): Counters {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };
  // A value that does not parse counts as zero / empty rather than locking anyone out for good.
  const readSpend = async (line: string) => (await store.spendLines.get(line).catch(absentIfCorrupt)) ?? 0;
  const readOpen = async (day: string): Promise<OpenSpend> => (await store.openSpends.get(day).catch(absentIfCorrupt)) ?? {};
  const readGate = async (window: string, userId: string): Promise<GateRecord> =>
    (await store.memberGates.get({ window, userId }).catch(absentIfCorrupt)) ?? { inFlight: {}, starts: [] };

  return {
    reserve(lines, amount, ttlMs, entry) {
      return serial(async () => {
        const used = await Promise.all(lines.map((l) => readSpend(l.key)));
        const open = await readOpen(entry.day);
        if (entry.ids[0]! in open) return { ok: true, used } as const;
        const total = amount * entry.ids.length;
        const over = lines.findIndex((l, i) => l.limit !== undefined && used[i]! + total > l.limit);
        if (over >= 0) return { ok: false, index: over, used: used[over]! } as const;
        const after = used.map((u) => u + total);
        const keys = lines.map((l) => l.key);
        // The open entries first: a kill between the writes leaves entries to give back, never spend nobody can find.
        await store.openSpends.set(entry.day, { ...open, ...Object.fromEntries(entry.ids.map((id) => [id, { amount, at: entry.at, keys }])) }, ttlMs);
        for (const [i, l] of lines.entries()) await store.spendLines.set(l.key, after[i]!, ttlMs);
        return { ok: true, used: after } as const;
      });
    },
    release(day, id) {
      return serial(async () => {
        const open = await readOpen(day);
        const entry = open[id];
        if (!entry) return;
        for (const key of entry.keys) {
          const current = await store.spendLines.get(key).catch(absentIfCorrupt);
          if (current !== undefined) await store.spendLines.set(key, Math.max(0, current - entry.amount));
        }
        await store.openSpends.set(day, without(open, id));
      });
    },
    commit(day, id) {
      return serial(async () => {
        const open = await readOpen(day);
        if (id in open) await store.openSpends.set(day, without(open, id));
      });
    },
    async openEntries(day) {
      return Object.entries(await readOpen(day)).map(([id, e]) => ({ id, at: e.at }));
    },
    read(keys) {
      return Promise.all(keys.map(readSpend));
    },
    claim(key, ttlMs) {
      return serial(async () => {
        if ((await store.claims.get(key).catch(absentIfCorrupt)) !== undefined) return false;
        await store.claims.set(key, { at: Date.now() }, ttlMs);
        return true;
      });
    },
    admit(window, userId, entryId, limits, nowMs) {
      return serial(async () => {
        const record = await readGate(window, userId);
        const inFlight = Object.fromEntries(Object.entries(record.inFlight).filter(([, at]) => at >= nowMs - limits.inFlightMaxAgeMs));
        const starts = record.starts.filter((s) => s.at >= nowMs - limits.windowMs);
        if (limits.maxInFlight !== undefined && Object.keys(inFlight).length >= limits.maxInFlight) {
          return { ok: false, reason: 'in_flight', max: limits.maxInFlight } as const;
        }
        if (starts.length >= limits.perWindow) {
          return { ok: false, reason: 'per_minute', max: limits.perWindow, retryAtMs: starts[0]!.at + limits.windowMs } as const;
        }
        if (limits.maxInFlight !== undefined) inFlight[entryId] = nowMs;
        starts.push({ id: entryId, at: nowMs });
        await store.memberGates.set({ window, userId }, { inFlight, starts });
        return { ok: true } as const;
      });
    },
    finish(window, userId, entryId) {
      return serial(async () => {
        const record = await readGate(window, userId);
        if (!(entryId in record.inFlight)) return;
        await store.memberGates.set({ window, userId }, { ...record, inFlight: without(record.inFlight, entryId) });
      });
    },
    cancel(window, userId, entryId) {
      return serial(async () => {
        const record = await readGate(window, userId);
        await store.memberGates.set({ window, userId }, { inFlight: without(record.inFlight, entryId), starts: record.starts.filter((s) => s.id !== entryId) });
      });
    },
    async close() {
      // The families belong to the store, which closes them.
    },
  };
}

/** Counters for the store at `location`: Redis scripts on Redis, else the store's own families. */
export async function openCounters(location: StoreLocation, store: Pick<Families, 'spendLines' | 'openSpends' | 'memberGates' | 'claims'>): Promise<Counters> {
  return location.kind === 'redis' ? createRedisCounters(location.url) : createStoreCounters(store);
}

/** `entries` without `key` (a copy). */
function without<V>(entries: Record<string, V>, key: string): Record<string, V> {
  return Object.fromEntries(Object.entries(entries).filter(([k]) => k !== key));
}
