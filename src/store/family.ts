/**
 * One record family = one module in src/store/: its zod schema, its key builder, its namespace,
 * built with {@link defineFamily}. Reads parse here and nowhere else, so what happens to a value
 * that no longer parses (today: a {@link StoredValueError}) is decided in one place.
 *
 * To add a family, copy src/store/member-jobs.ts (the smallest), change the schema and key, and
 * add one line to `openStore` in src/store/index.ts.
 */
import type { z } from 'zod';
import { StoreError, timed, type NamespaceName, type Namespaces } from './keyv.js';

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
}

/** Typed access to one family. */
export interface Family<K, V> {
  readonly name: string;
  /** The value, parsed; `undefined` when absent. Throws {@link StoredValueError} when it does not parse. */
  get(id: K): Promise<V | undefined>;
  /** Validates and writes `value` (`ttlMs` overrides the family's default). */
  set(id: K, value: V, ttlMs?: number): Promise<void>;
  delete(id: K): Promise<void>;
  /** Parses a raw stored value as this family's (for bulk reads). */
  parse(key: string, raw: unknown): V | undefined;
  /** Every `[key, value]` of the namespace; only for families that own their namespace alone. */
  entries(): AsyncIterable<[string, V | StoredValueError]>;
}

/** Builds a family over the opened namespaces; see the module comment. */
export function defineFamily<K, S extends z.ZodType>(spec: FamilySpec<K, S>): (ns: Namespaces) => Family<K, z.output<S>> {
  type V = z.output<S>;
  return (ns) => {
    const kv = ns[spec.namespace];
    const parse = (key: string, raw: unknown): V | undefined => {
      if (raw === undefined || raw === null) return undefined;
      const parsed = spec.schema.safeParse(raw);
      if (!parsed.success) throw new StoredValueError(spec.name, key, parsed.error.issues[0]?.message ?? 'invalid');
      return parsed.data;
    };
    return {
      name: spec.name,
      parse,
      async get(id) {
        const key = spec.key(id);
        return parse(key, await timed('read', kv.get(key)));
      },
      async set(id, value, ttlMs) {
        const valid = spec.schema.parse(value);
        await timed('write', kv.set(spec.key(id), valid, ttlMs ?? spec.ttlMs));
      },
      async delete(id) {
        await timed('write', kv.delete(spec.key(id)));
      },
      async *entries() {
        if (!kv.iterator) throw new StoreError('store cannot iterate');
        const prefix = `${spec.namespace}:`;
        for await (const [rawKey, raw] of kv.iterator(undefined)) {
          const key = String(rawKey).startsWith(prefix) ? String(rawKey).slice(prefix.length) : String(rawKey);
          try {
            const value = parse(key, raw);
            if (value !== undefined) yield [key, value];
          } catch (err) {
            if (!(err instanceof StoredValueError)) throw err;
            yield [key, err];
          }
        }
      },
    };
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
