/**
 * A `Map` that holds at most `capacity` entries, forgetting the least recently used first: for
 * in-process caches keyed by member (or by anything a stranger can mint), so no flood of new keys
 * can grow the process without bound. Reading a key with `get` counts as a use.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly capacity: number) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`BoundedMap capacity must be a positive integer, got ${capacity}`);
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    // Map iterates in insertion order: re-inserting makes the key the most recently used.
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.capacity) super.delete(this.keys().next().value as K);
    return this;
  }
}
