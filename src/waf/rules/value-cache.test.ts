import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueCache, setValueCaches } from './value-cache.js';

test('a value cache answers what was set, ignores values above its length limit, and can be turned off', () => {
  const c = new ValueCache<boolean>(1024, 8);
  c.set('gzip', false);
  c.set('a-very-long-value', true);
  assert.equal(c.get('gzip'), false);
  assert.equal(c.get('a-very-long-value'), undefined);
  assert.equal(c.accepts('a-very-long-value'), false);
  setValueCaches(false);
  try {
    assert.equal(c.get('gzip'), undefined);
    assert.equal(c.accepts('gzip'), false);
    c.set('br', true);
  } finally { setValueCaches(true); }
  assert.equal(c.get('br'), undefined);
  assert.equal(c.get('gzip'), false);
});

test('a flood of distinct values stays within two generations of the budget, and a value read often survives it', () => {
  const c = new ValueCache<number>(4096, 64);
  c.set('keep', 1);
  for (let i = 0; i < 100_000; i++) {
    c.set(`attacker-${i}`, i);
    // Read now and then, as a benign header value is: each read in the old generation moves it to the young one.
    if (i % 50 === 0) assert.equal(c.get('keep'), 1);
  }
  // Each entry costs its length plus 32: at most 2 x 4096 / 32 entries, whatever was sent.
  assert.ok(c.size <= 256, `holds ${c.size} entries`);
  assert.equal(c.get('keep'), 1);
  assert.equal(c.get('attacker-0'), undefined);
});
