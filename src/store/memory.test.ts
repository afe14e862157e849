import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory.js';
import { storeContract } from './store.contract.js';

let now = 1_000_000;
storeContract('memory', () => new MemoryStore({ now: () => now }), { advance: async (ms) => { now += ms; } });

test('memory store stays bounded under a flood of distinct keys', async () => {
  const store = new MemoryStore({ maxKeys: 1000 });
  for (let i = 0; i < 20_000; i++) await store.increment(`flood:${i}`, 1, 60_000);
  assert.equal(store.size, 1000);
  assert.equal(await store.get('flood:0'), undefined, 'the oldest keys were evicted');
  assert.equal(await store.get('flood:19999'), '1');
});

test('attack: a flood of per-client keys cannot evict revocations, nonces or used one-time codes', async () => {
  const store = new MemoryStore({ maxKeys: 100 });
  await store.set('revoked:jti:stolen', '1', 0);
  assert.equal(await store.setIfAbsent('sig:nonce:k1:n1', '1', 60_000), true);
  assert.equal(await store.setIfAbsent('totp:used:alice:123', '1', 60_000), true);
  // What an attacker can multiply by spoofing addresses: bot, risk and login counters per client.
  for (let i = 0; i < 10_000; i++) await store.increment(`bot:ip:10.0.${i >> 8}.${i & 255}`, 1, 60_000);
  assert.equal(await store.get('revoked:jti:stolen'), '1', 'the revocation survives');
  assert.equal(await store.setIfAbsent('sig:nonce:k1:n1', '1', 60_000), false, 'the nonce is still known: no replay');
  assert.equal(await store.setIfAbsent('totp:used:alice:123', '1', 60_000), false, 'the code is still used');
  assert.ok(store.size <= 100 + 3, `bounded: ${store.size}`);
  // Each class stays bounded on its own.
  for (let i = 0; i < 1_000; i++) await store.set(`revoked:jti:${i}`, '1', 0);
  assert.ok(store.size <= 100 * 3, `bounded per class: ${store.size}`);
});
