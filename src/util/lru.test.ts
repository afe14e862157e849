import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lruEvictor } from './lru.js';

setFlagsFromString('--expose-gc');

test('evicts the least recently (re-)inserted keys first', () => {
  const m = new Map<string, number>();
  const evict = lruEvictor(m);
  for (const k of ['a', 'b', 'c', 'd']) m.set(k, 1);
  m.delete('a');
  m.set('a', 1); // a is now the most recent
  evict(3);
  assert.deepEqual([...m.keys()], ['c', 'd', 'a']);
  m.set('e', 1);
  evict(2);
  assert.deepEqual([...m.keys()], ['a', 'e']);
  m.clear();
  evict(0);
  m.set('x', 1);
  m.set('y', 1);
  evict(1);
  assert.deepEqual([...m.keys()], ['y'], 'works again after the map was emptied');
});

test('a flood of distinct keys keeps the bound', () => {
  const m = new Map<number, number>();
  const evict = lruEvictor(m);
  for (let i = 0; i < 300_000; i++) {
    m.set(i, i);
    if (i % 7 === 0 && m.has(i - 100)) { m.delete(i - 100); m.set(i - 100, 0); }
    evict(10_000);
  }
  assert.equal(m.size, 10_000);
  assert.equal(m.has(299_999), true);
  assert.equal(m.has(0), false);
});

test('an idle evictor does not pin the tables a churning map leaves behind (the soak leak)', () => {
  // Under the bound the cursor was never advanced, so it stayed on the Map's first table; V8
  // links every table a rehash replaces to its successor for live iterators, and the whole
  // chain, with the entries each held, stayed reachable: RSS +365 MiB/h in the 30-minute soak.
  const gc = runInNewContext('gc') as () => void;
  const m = new Map<string, { v: number }>();
  const evict = lruEvictor(m);
  for (const k of ['a', 'b', 'c']) m.set(k, { v: 0 });
  evict(1_000);
  gc();
  const before = getHeapStatistics().used_heap_size;
  for (let i = 0; i < 300_000; i++) {
    const k = ['a', 'b', 'c'][i % 3]!;
    m.delete(k); // an LRU touch, as MemoryStore does on every read
    m.set(k, { v: i });
    evict(1_000);
  }
  gc();
  const grown = getHeapStatistics().used_heap_size - before;
  // Both still in use after the measurement, or the collector frees them with their garbage.
  evict(2);
  assert.equal(m.size, 2);
  assert.ok(grown < 4 * 1024 * 1024, `heap grew ${Math.round(grown / 1024)} KiB over 300k touches of 3 keys`);
});
