/**
 * The keyv namespaces every record family lives in, opened from one {@link StoreLocation}.
 * Only src/store/ touches keyv; everything else goes through a family (src/store/family.ts).
 */
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where the store lives: `STORE_URL`, parsed once (src/config.ts). */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'redis'; url: string };

/** The namespaces (one keyv each). `meta` holds small families told apart by key prefix. */
export const NAMESPACES = ['task', 'pending', 'meta', 'settings'] as const;
export type NamespaceName = (typeof NAMESPACES)[number];
export type Namespaces = Record<NamespaceName, Keyv>;

/** Longest a store operation may take before it counts as unavailable, ms. Default 5000. */
export const STORE_TIMEOUT_MS = 5_000;

/** The store is unreachable, timed out, or cannot be opened. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * Parses `sqlite://path/file.sqlite` or `redis[s]://host:port/db`; `undefined` for anything else.
 * The one place that knows the URL shapes.
 */
export function parseStoreUrl(url: string): StoreLocation | undefined {
  if (/^sqlite:\/\/.+/.test(url)) return { kind: 'sqlite', file: url.slice('sqlite://'.length) };
  if (/^rediss?:\/\/.+/.test(url)) return { kind: 'redis', url };
  return undefined;
}

/** The location as a URL again, credentials hidden: for logs and messages. */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite://${location.file}` : redactUrl(location.url);
}

/** Hides credentials in a redis://user:pass@host URL. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[REDACTED]@');
}

/** Rejects with a {@link StoreError} when `op` takes longer than {@link STORE_TIMEOUT_MS}. */
export async function timed<T>(what: string, op: Promise<T>): Promise<T> {
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

/** Opens one namespace; SQLite files get their folder created and WAL switched on. */
export function openNamespace(location: StoreLocation, namespace: NamespaceName): Keyv {
  if (location.kind === 'sqlite') {
    const { file } = location;
    if (file !== ':memory:') {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (err) {
        throw new StoreError(`cannot create the folder of ${file}: ${(err as Error).message}`);
      }
    }
    const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 10_000, iterationLimit: 1000 });
    // WAL: readers never wait for the writer and commits are ~5× cheaper; still fully durable.
    // A failure here surfaces through the first real query (openStore pings every namespace).
    if (file !== ':memory:') void adapter.query('PRAGMA journal_mode=WAL').catch(() => undefined);
    return new Keyv({ store: adapter, namespace });
  }
  return createRedisKeyv(location.url, { namespace, throwOnConnectError: true, throwOnErrors: true, connectionTimeout: STORE_TIMEOUT_MS });
}

/** Opens every namespace of {@link NAMESPACES}. */
export function openNamespaces(location: StoreLocation): Namespaces {
  return Object.fromEntries(NAMESPACES.map((n) => [n, openNamespace(location, n)])) as Namespaces;
}
