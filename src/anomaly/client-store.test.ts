import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import type { KeyValueStore } from '../store/store.js';
import { ClientStates } from './client-store.js';

/** A store that counts its calls. */
function counting(inner: KeyValueStore) {
  const calls = { get: 0, set: 0 };
  const store: KeyValueStore = {
    get: (k) => { calls.get++; return inner.get(k); },
    set: (k, v, t) => { calls.set++; return inner.set(k, v, t); },
    setIfAbsent: (k, v, t) => inner.setIfAbsent(k, v, t),
    increment: (k, d, t) => inner.increment(k, d, t),
    delete: (k) => inner.delete(k),
    close: () => inner.close(),
  };
  return { store, calls };
}

test('overlapping requests of one client share one state: one GET, one SET, no lost counts', async () => {
  const { store, calls } = counting(new MemoryStore({ maxKeys: 1000 }));
  const states = new ClientStates(store, { ttlMs: 60_000, maxClients: 10 });
  const [a, b] = await Promise.all([states.acquire('c1', 1), states.acquire('c1', 1)]);
  assert.equal(a, b);
  a!.state.seen++;
  b!.state.seen++;
  await states.release(a!);
  assert.equal(calls.set, 0, 'the second holder is still in flight');
  await states.release(b!);
  assert.deepEqual(calls, { get: 1, set: 1 });
  const again = await states.acquire('c1', 1);
  assert.equal(again!.state.seen, 2);
  await states.release(again!);
  assert.equal(states.size, 0);
});

test('beyond maxClients a request is not tracked; a failing store rejects and leaves no slot behind', async () => {
  const states = new ClientStates(new MemoryStore({ maxKeys: 1000 }), { ttlMs: 60_000, maxClients: 1 });
  const held = await states.acquire('c1', 1);
  assert.equal(await states.acquire('c2', 1), undefined);
  await states.release(held!);
  const broken: KeyValueStore = { ...counting(new MemoryStore({ maxKeys: 1000 })).store, get: () => Promise.reject(new Error('down')) };
  const failing = new ClientStates(broken, { ttlMs: 1000, maxClients: 5 });
  await assert.rejects(failing.acquire('c3', 1), /down/);
  await new Promise((r) => setImmediate(r));
  assert.equal(failing.size, 0);
});

test('corrupt or foreign stored state starts afresh instead of failing the request', async () => {
  const mem = new MemoryStore({ maxKeys: 1000 });
  await mem.set('c1', '{"v":2}', 60_000);
  await mem.set('c2', 'not json', 60_000);
  const states = new ClientStates(mem, { ttlMs: 60_000, maxClients: 5 });
  for (const k of ['c1', 'c2']) {
    const s = await states.acquire(k, 7);
    assert.equal(s!.state.v, 1);
    assert.equal(s!.state.w, 7);
    await states.release(s!);
  }
});
