import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lruEvictor } from './lru.js';

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
