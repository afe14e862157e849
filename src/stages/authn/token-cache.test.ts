import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from './token-cache.js';

test('entries never outlive their expiry', () => {
  let t = 1000;
  const cache = new TokenCache<string>(10, () => t);
  cache.set('tok', 'p', 2000);
  assert.equal(cache.get('tok'), 'p');
  t = 2000;
  assert.equal(cache.get('tok'), undefined);
  cache.set('late', 'p', 1500);
  assert.equal(cache.get('late'), undefined);
});

test('the cache is bounded: the oldest entry goes first', () => {
  const cache = new TokenCache<number>(3, () => 0);
  for (let i = 0; i < 5; i++) cache.set(`t${i}`, i, 10);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('t0'), undefined);
  assert.equal(cache.get('t1'), undefined);
  assert.equal(cache.get('t4'), 4);
});

test('tokens are keyed by SHA-256, not kept', () => {
  assert.equal(TokenCache.key('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(new TokenCache<number>(0).get('x'), undefined);
});
