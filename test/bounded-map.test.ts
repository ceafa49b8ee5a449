import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../src/bounded-map.js';

describe('BoundedMap', () => {
  it('never holds more than its capacity, forgetting the least recently used first', () => {
    const map = new BoundedMap<string, number>(3);
    for (let i = 0; i < 1_000; i++) map.set(`member-${i}`, i);
    expect(map.size).toBe(3);
    expect([...map.keys()]).toEqual(['member-997', 'member-998', 'member-999']);
  });

  it('a get or a set refreshes a key, so the busiest members are the ones kept', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([...map.entries()]).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    map.set('a', 10);
    map.set('d', 4);
    expect([...map.entries()]).toEqual([
      ['a', 10],
      ['d', 4],
    ]);
    expect(map.get('missing')).toBeUndefined();
    expect(map.size).toBe(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
    expect(() => new BoundedMap(1.5)).toThrow(RangeError);
  });
});
