/**
 * One record family = one module in src/store/: its zod schema, its key builder, its namespace,
 * built with {@link defineFamily}. Reads parse here and nowhere else, so what happens to a value
 * that no longer parses (today: a {@link StoredValueError}) is decided in one place.
 *
 * To add a family, copy src/store/member-jobs.ts (the smallest), change the schema and key, and
 * add one line to `openStore` in src/store/index.ts.
 */
import type Keyv from 'keyv';
import type { z } from 'zod';
import { StoreError, timed, type NamespaceName, type Namespaces } from './keyv.js';

/** What {@link FamilyHooks.onCorrupt} is told about a row that was set aside. */
export interface CorruptRow {
  family: string;
  namespace: NamespaceName;
  key: string;
  issue: string;
  /** Where the raw value now lives (namespace `meta`), or undefined when it could not be moved. */
  quarantineKey?: string;
}

/** Store-wide callbacks (src/store/index.ts `openStore` options). */
export interface FamilyHooks {
  /** A row that did not parse was moved to quarantine: called once per row (it is gone afterwards). */
  onCorrupt?(row: CorruptRow): void;
}

/** Quarantined rows are kept this long for an operator to look at, ms. Default 30 days. */
export const QUARANTINE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Longest raw value kept in quarantine, characters. */
const QUARANTINE_MAX_CHARS = 64 * 1024;

/** The key as the adapter sees it: keyv prefixes `namespace:` itself unless the adapter does (Redis). */
export function adapterKey(kv: Keyv, key: string): string {
  return kv.useKeyPrefix && kv.namespace ? `${kv.namespace}:${key}` : key;
}

/** A stored value that does not match its family's schema. */
export class StoredValueError extends StoreError {
  override name = 'StoredValueError';
  constructor(
    readonly family: string,
    readonly key: string,
    readonly issue: string,
  ) {
    super(`stored ${family} does not parse (${key}): ${issue}`);
  }
}

export interface FamilySpec<K, S extends z.ZodType> {
  /** Names the family in errors and logs. */
  name: string;
  namespace: NamespaceName;
  schema: S;
  /** The key inside the namespace. Never change it for stored data: old rows would vanish. */
  key(id: K): string;
  /** Default time to live of a write, ms; none = kept. */
  ttlMs?: number;
  /**
   * Written in place of a row that does not parse (after it is quarantined), instead of leaving
   * the key empty: how a family fails closed (settings: the server is paused). Default none.
   */
  replaceCorrupt?: () => z.output<S>;
}

/** Typed access to one family. */
export interface Family<K, V> {
  readonly name: string;
  /** The value, parsed; `undefined` when absent. Throws {@link StoredValueError} when it does not parse. */
  get(id: K): Promise<V | undefined>;
  /**
   * The values of `ids`, in order, read in one batch where the adapter can. A row that does not
   * parse is set aside exactly as {@link get} does it (quarantined, hook told once) and comes back
   * as its {@link StoredValueError}; the other rows are unaffected. Store failures reject.
   */
  getMany(ids: readonly K[]): Promise<(V | StoredValueError | undefined)[]>;
  /** Validates and writes `value` (`ttlMs` overrides the family's default). */
  set(id: K, value: V, ttlMs?: number): Promise<void>;
  delete(id: K): Promise<void>;
  /** Every `[key, value]` of the namespace; only for families that own their namespace alone. */
  entries(): AsyncIterable<[string, V | StoredValueError]>;
}

/** Builds a family over the opened namespaces; see the module comment. */
export function defineFamily<K, S extends z.ZodType>(spec: FamilySpec<K, S>): (ns: Namespaces, hooks?: FamilyHooks) => Family<K, z.output<S>> {
  type V = z.output<S>;
  return (ns, hooks = {}) => {
    const kv = ns[spec.namespace];
    const check = (key: string, raw: unknown): V | undefined => {
      if (raw === undefined || raw === null) return undefined;
      const parsed = spec.schema.safeParse(raw);
      if (!parsed.success) throw new StoredValueError(spec.name, key, parsed.error.issues[0]?.message ?? 'invalid');
      return parsed.data;
    };
    /** The row as stored, without keyv's deserialisation (which throws on a non-JSON row). */
    const rawRow = async (key: string): Promise<unknown> => (kv.store as { get(k: string): Promise<unknown> }).get(adapterKey(kv, key));

    /**
     * Sets a bad row aside: its raw text goes to `meta` under `quarantine:<namespace>:<key>`, the
     * row is deleted (or replaced, {@link FamilySpec.replaceCorrupt}), and the hook is told once.
     * Best effort: when the store fails here the row stays and the caller still gets the error.
     */
    const quarantine = async (key: string, issue: string, raw: unknown): Promise<StoredValueError> => {
      const err = new StoredValueError(spec.name, key, issue);
      const quarantineKey = `quarantine:${spec.namespace}:${key}`;
      try {
        const text = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
        await timed(
          'write',
          ns.meta.set(quarantineKey, { family: spec.name, key, issue, raw: text.slice(0, QUARANTINE_MAX_CHARS), at: Date.now() }, QUARANTINE_TTL_MS),
        );
        if (spec.replaceCorrupt) await timed('write', kv.set(key, spec.schema.parse(spec.replaceCorrupt()), spec.ttlMs));
        else await timed('write', kv.delete(key));
        hooks.onCorrupt?.({ family: spec.name, namespace: spec.namespace, key, issue, quarantineKey });
      } catch {
        hooks.onCorrupt?.({ family: spec.name, namespace: spec.namespace, key, issue });
      }
      return err;
    };
    const family: Family<K, V> = {
      name: spec.name,
      async get(id) {
        const key = spec.key(id);
        let raw: unknown;
        try {
          raw = await timed('read', kv.get(key));
        } catch (err) {
          if (err instanceof StoreError) throw err;
          // keyv could not deserialise the row (not JSON): set the raw text aside.
          throw await quarantine(key, 'not JSON', await rawRow(key).catch(() => undefined));
        }
        try {
          return check(key, raw);
        } catch (err) {
          if (!(err instanceof StoredValueError)) throw err;
          throw await quarantine(key, err.issue, raw);
        }
      },
      async getMany(ids) {
        if (ids.length === 0) return [];
        const keys = ids.map((id) => spec.key(id));
        let raws: unknown[];
        try {
          raws = await timed('read', kv.get(keys));
        } catch (err) {
          if (err instanceof StoreError) throw err;
          // keyv deserialises the whole batch at once, so one non-JSON row fails it: read each
          // row alone, which sets that one aside and returns the others.
          return Promise.all(ids.map((id) => family.get(id).catch((e: unknown) => (e instanceof StoredValueError ? e : Promise.reject(e)))));
        }
        return Promise.all(
          raws.map(async (raw, i) => {
            const key = keys[i]!;
            try {
              return check(key, raw);
            } catch (err) {
              if (!(err instanceof StoredValueError)) throw err;
              return quarantine(key, err.issue, raw);
            }
          }),
        );
      },
      async set(id, value, ttlMs) {
        const valid = spec.schema.parse(value);
        await timed('write', kv.set(spec.key(id), valid, ttlMs ?? spec.ttlMs));
      },
      async delete(id) {
        await timed('write', kv.delete(spec.key(id)));
      },
      async *entries() {
        // The adapter's own iterator yields raw rows: keyv's would throw on the first row that
        // is not JSON (or is `null`) and end the whole iteration, i.e. the bot's start.
        const adapter = kv.store as { iterator?(ns: string | undefined): AsyncIterable<[string, unknown]>; namespace?: string };
        if (!adapter.iterator) throw new StoreError('store cannot iterate');
        const prefix = `${spec.namespace}:`;
        const now = Date.now();
        for await (const [rawKey, stored] of adapter.iterator(adapter.namespace ?? spec.namespace)) {
          const key = rawKey.startsWith(prefix) ? rawKey.slice(prefix.length) : rawKey;
          // No row at all: on Redis the iterator lists keys with SCAN and reads each batch with
          // MGET, so a key deleted in between (a task that finished, or was handed over) comes
          // back empty. It is gone, not corrupt; a stored JSON `null` is still the text "null".
          if (stored === undefined || stored === null) continue;
          let data: { value?: unknown; expires?: unknown } | undefined;
          try {
            data = (typeof stored === 'string' ? await (kv.deserialize ?? JSON.parse)(stored) : stored) as typeof data;
          } catch {
            yield [key, await quarantine(key, 'not JSON', stored)];
            continue;
          }
          if (!data || typeof data !== 'object') {
            yield [key, await quarantine(key, 'not a keyv entry', stored)];
            continue;
          }
          // Expired but never read again: keyv would only drop it on a read; drop it now.
          if (typeof data.expires === 'number' && data.expires < now) {
            await timed('write', kv.delete(key));
            continue;
          }
          try {
            if (data.value === null) throw new StoredValueError(spec.name, key, 'null');
            const value = check(key, data.value);
            if (value !== undefined) yield [key, value];
          } catch (err) {
            if (!(err instanceof StoredValueError)) throw err;
            yield [key, await quarantine(key, err.issue, stored)];
          }
        }
      },
    };
    return family;
  };
}

/**
 * For `.catch(absentIfCorrupt)` where an unreadable value may be treated as absent: a
 * {@link StoredValueError} becomes `undefined`; any other failure (store down) propagates.
 */
export function absentIfCorrupt(err: unknown): undefined {
  if (err instanceof StoredValueError) return undefined;
  throw err;
}
