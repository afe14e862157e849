import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpaceSaving } from './top-k.js';

test('space-saving keeps heavy hitters within a fixed number of counters', () => {
  const top = new SpaceSaving(50);
  // 100,000 distinct one-off clients interleaved with three heavy ones.
  for (let i = 0; i < 100_000; i++) {
    top.add(`noise-${i}`);
    if (i % 10 === 0) top.add('heavy-a');
    if (i % 20 === 0) top.add('heavy-b');
    if (i % 40 === 0) top.add('heavy-c');
  }
  assert.equal(top.size, 50);
  // Each heavy key occurs more than N/capacity (~2,350) times, so it must be present.
  const keys = top.top(50).map((e) => e.key);
  for (const k of ['heavy-a', 'heavy-b', 'heavy-c']) assert.ok(keys.includes(k), k);
  assert.equal(keys[0], 'heavy-a');
  const a = top.top(1)[0]!;
  assert.ok(a.count >= 10_000 && a.count - a.error <= 10_000, 'count overestimates by at most error');
});

test('counts exactly while under capacity', () => {
  const top = new SpaceSaving(5);
  for (const k of ['x', 'y', 'x', 'z', 'x', 'y']) top.add(k);
  assert.deepEqual(top.top(5), [{ key: 'x', count: 3, error: 0 }, { key: 'y', count: 2, error: 0 }, { key: 'z', count: 1, error: 0 }]);
});
