import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TaskRecordSchema, isFinished, owningGuildId, type TaskRecord } from './record.js';

/** Longest a store operation may take before it counts as unavailable, ms. Default 5000. */
export const STORE_TIMEOUT_MS = 5_000;

/** Rejects with a {@link StoreError} when `op` takes longer than {@link STORE_TIMEOUT_MS}. */
async function timed<T>(what: string, op: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreError(`store ${what} timed out after ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Finished records are kept this long for lookups (ms). Default 30 days. */
export const FINISHED_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface PendingEntry {
  id: string;
  guildId: string | null;
  userId: string;
  nextAt: number;
}

/**
 * The task store over keyv. Two namespaces: `task` holds every record, `pending` indexes the
 * unfinished ones so a restart rebuilds its timers without scanning finished history.
 */
export interface TaskStore {
  get(id: string): Promise<TaskRecord | undefined>;
  /** Writes the record and keeps the pending index in step with it. */
  put(record: TaskRecord): Promise<void>;
  listPending(): Promise<PendingEntry[]>;
  getMany(ids: string[]): Promise<(TaskRecord | undefined)[]>;
  /** Small shared values (command hash, counters, usage, member indexes). */
  meta: Keyv;
  /** Per-server settings, keyed by guild id. */
  settings: Keyv;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

function openKeyv(url: string, namespace: string): Keyv {
  if (url.startsWith('sqlite://')) {
    const file = url.slice('sqlite://'.length);
    if (file !== ':memory:') {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (err) {
        throw new StoreError(`cannot create the folder of ${file}: ${(err as Error).message}`);
      }
    }
    const adapter = new KeyvSqlite({ uri: url, busyTimeout: 10_000, iterationLimit: 1000 });
    // WAL: readers never wait for the writer and commits are ~5× cheaper; still fully durable.
    // A failure here surfaces through the first real query (openStore pings every namespace).
    if (file !== ':memory:') void adapter.query('PRAGMA journal_mode=WAL').catch(() => undefined);
    return new Keyv({ store: adapter, namespace });
  }
  return createRedisKeyv(url, { namespace, throwOnConnectError: true, throwOnErrors: true, connectionTimeout: STORE_TIMEOUT_MS });
}

export async function openStore(url: string): Promise<TaskStore> {
  const tasks = openKeyv(url, 'task');
  const pending = openKeyv(url, 'pending');
  const meta = openKeyv(url, 'meta');
  const settings = openKeyv(url, 'settings');
  let firstError: unknown;
  for (const k of [tasks, pending, meta, settings]) k.on('error', (err: unknown) => {
      firstError ??= err;
    });

  const parse = (raw: unknown): TaskRecord | undefined => {
    if (raw === undefined || raw === null) return undefined;
    const parsed = TaskRecordSchema.safeParse(raw);
    // A record that no longer parses is reported rather than silently dropped.
    if (!parsed.success) throw new StoreError(`stored task does not parse: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  };

  const store: TaskStore = {
    async get(id) {
      return parse(await timed('read', tasks.get(id)));
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const raws = await timed('read', tasks.get(ids));
      return (raws as unknown[]).map((r) => parse(r));
    },
    async put(record) {
      const valid = TaskRecordSchema.parse(record);
      if (isFinished(valid)) {
        await timed('write', tasks.set(valid.id, valid, FINISHED_TTL_MS));
        await timed('write', pending.delete(valid.id));
      } else {
        // Index first: a crash between the two writes leaves an index entry pointing at an
        // older record, which the engine re-reads anyway — never an unindexed running task.
        const entry: PendingEntry = { id: valid.id, guildId: owningGuildId(valid.owner), userId: valid.owner.userId, nextAt: valid.nextAt };
        await timed('write', pending.set(valid.id, entry));
        await timed('write', tasks.set(valid.id, valid));
      }
    },
    async listPending() {
      const out: PendingEntry[] = [];
      if (!pending.iterator) throw new StoreError('store cannot iterate');
      for await (const [, value] of pending.iterator(undefined)) {
        if (value && typeof value === 'object' && 'id' in value) out.push(value as PendingEntry);
      }
      return out;
    },
    meta,
    settings,
    async ping() {
      // Every namespace opens its own connection: touch them all, so none fails unobserved.
      await Promise.all([meta.set('ping', Date.now()), ...[tasks, pending, settings].map((k) => k.get('ping'))].map((p) => timed('ping', p)));
      if (firstError) {
        const err: unknown = firstError;
        firstError = undefined;
        throw err;
      }
    },
    async close() {
      await Promise.allSettled([tasks, pending, meta, settings].map((k) => timed('close', k.disconnect())));
    },
  };
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw new StoreError(`cannot open store ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return store;
}

/** Hides credentials in a redis://user:pass@host URL. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[REDACTED]@');
}
