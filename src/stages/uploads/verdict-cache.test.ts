import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerdictCache } from './verdict-cache.js';

test('verdicts are bounded (least recently used out first), expire, and "unavailable" is never cached', () => {
  let now = 0;
  const cache = new VerdictCache(2, 1000, () => now);
  cache.set('a', { kind: 'clean' });
  cache.set('b', { kind: 'infected', signature: 'S' });
  assert.equal(cache.get('a')?.kind, 'clean');
  cache.set('c', { kind: 'clean' });
  assert.equal(cache.get('b'), undefined, 'b was the least recently used');
  assert.equal(cache.size, 2);
  cache.set('d', { kind: 'unavailable', reason: 'down' });
  assert.equal(cache.get('d'), undefined);
  now = 1000;
  assert.equal(cache.get('a'), undefined, 'expired');
});
