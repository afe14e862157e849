import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory.js';
import type { KeyValueStore } from '../../store/store.js';
import { isRevoked, revokeJti, revokeSubject, unrevokeJti } from './revocation.js';

/** The same store without its synchronous read: the path a Redis or cluster store takes. */
function asyncOnly(store: MemoryStore): KeyValueStore {
  return { get: (k) => store.get(k), set: (k, v, t) => store.set(k, v, t), setIfAbsent: (k, v, t) => store.setIfAbsent(k, v, t), increment: (k, d, t) => store.increment(k, d, t), compareAndSet: (k, e, v, t) => store.compareAndSet(k, e, v, t), delete: (k) => store.delete(k), close: () => store.close() };
}

test('revocations by jti and by subject are seen at once, with or without a synchronous read', async () => {
  let now = 1_000_000;
  const memory = new MemoryStore({ now: () => now });
  for (const store of [memory, asyncOnly(memory)]) {
    const t = { jti: 'j1', issuer: 'https://idp', subject: 'alice' };
    assert.equal(await isRevoked(store, t), false);
    await revokeJti(store, 'j1', 60_000);
    assert.equal(await isRevoked(store, t), true);
    assert.equal(await isRevoked(store, { ...t, jti: 'j2' }), false);
    await unrevokeJti(store, 'j1');
    await revokeSubject(store, 'https://idp', 'alice', 60_000);
    assert.equal(await isRevoked(store, { ...t, jti: undefined }), true);
    // Another issuer's "alice" is someone else.
    assert.equal(await isRevoked(store, { ...t, issuer: 'https://other' }), false);
    now += 60_001;
    assert.equal(await isRevoked(store, t), false, 'an expired revocation no longer applies');
  }
  // The in-process store answers without a promise (no microtask on every authenticated request).
  assert.equal(typeof isRevoked(memory, { jti: 'x' }), 'boolean');
  assert.ok(isRevoked(asyncOnly(memory), { jti: 'x' }) instanceof Promise);
});
