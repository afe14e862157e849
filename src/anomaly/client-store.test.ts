import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import type { KeyValueStore } from '../store/store.js';
import { ClientStates, type StateUpdate } from './client-store.js';

/** A store that counts its calls. */
function counting(inner: KeyValueStore) {
  const calls = { get: 0, set: 0, cas: 0 };
  const store: KeyValueStore = {
    get: (k) => { calls.get++; return inner.get(k); },
    set: (k, v, t) => { calls.set++; return inner.set(k, v, t); },
    setIfAbsent: (k, v, t) => inner.setIfAbsent(k, v, t),
    increment: (k, d, t) => inner.increment(k, d, t),
    compareAndSet: (k, e, v, t) => { calls.cas++; return inner.compareAndSet(k, e, v, t); },
    delete: (k) => inner.delete(k),
    close: () => inner.close(),
  };
  return { store, calls };
}

const bump: StateUpdate = (s) => { s.seen++; };

test('overlapping requests of one client share one state: one GET, one compare-and-set, no lost counts', async () => {
  const { store, calls } = counting(new MemoryStore({ maxKeys: 1000 }));
  const states = new ClientStates(store, { ttlMs: 60_000, maxClients: 10 });
  const [a, b] = await Promise.all([states.acquire('c1', 1), states.acquire('c1', 1)]);
  assert.equal(a, b);
  states.apply(a!, bump);
  states.apply(b!, bump);
  await states.release(a!);
  assert.equal(calls.cas, 0, 'the second holder is still in flight');
  await states.release(b!);
  assert.deepEqual(calls, { get: 1, set: 0, cas: 1 });
  const again = await states.acquire('c1', 1);
  assert.equal(again!.state.seen, 2);
  await states.release(again!);
  assert.deepEqual(calls, { get: 2, set: 0, cas: 1 }, 'nothing to write, nothing written');
  assert.equal(states.size, 0);
});

test('two instances on one store: interleaved read-modify-writes of one client lose no count', async () => {
  const { store, calls } = counting(new MemoryStore({ maxKeys: 1000 }));
  const a = new ClientStates(store, { ttlMs: 60_000, maxClients: 10 });
  const b = new ClientStates(store, { ttlMs: 60_000, maxClients: 10 });
  // Both read before either writes: a plain SET by each would leave one count.
  const sa = await a.acquire('c', 1);
  const sb = await b.acquire('c', 1);
  a.apply(sa!, bump);
  b.apply(sb!, bump);
  await Promise.all([a.release(sa!), b.release(sb!)]);
  const check = await a.acquire('c', 1);
  assert.equal(check!.state.seen, 2);
  await a.release(check!);
  assert.equal(a.stats.conflicts + b.stats.conflicts, 1, 'the second write merged into the first');
  assert.equal(calls.get, 3, 'the merge needed no extra read');
  // Many requests of one client split over both instances, all in flight at once.
  const request = async (states: ClientStates) => {
    const slot = await states.acquire('c', 1);
    await new Promise((r) => setImmediate(r));
    states.apply(slot!, bump);
    await states.release(slot!);
  };
  await Promise.all(Array.from({ length: 200 }, (_, i) => request(i % 2 === 0 ? a : b)));
  const end = await b.acquire('c', 1);
  assert.equal(end!.state.seen, 202);
  await b.release(end!);
  assert.deepEqual([a.stats.lost, b.stats.lost], [0, 0]);
});

test('an update applied while a write is on the wire is replayed too when that write meets another instance\'s', async () => {
  const mem = new MemoryStore({ maxKeys: 1000 });
  const paused: (() => void)[] = [];
  const slow: KeyValueStore = { ...counting(mem).store, compareAndSet: async (k, e, v, t) => { await new Promise<void>((r) => paused.push(r)); return mem.compareAndSet(k, e, v, t); } };
  const a = new ClientStates(slow, { ttlMs: 60_000, maxClients: 10 });
  const other = new ClientStates(mem, { ttlMs: 60_000, maxClients: 10 });
  const first = await a.acquire('c', 1);
  const o = await other.acquire('c', 1);
  a.apply(first!, bump);
  const w1 = a.release(first!);
  while (paused.length === 0) await new Promise((r) => setImmediate(r));
  other.apply(o!, (st) => { st.seen += 10; });
  await other.release(o!);
  const late = await a.acquire('c', 1);
  assert.equal(late, first, 'the slot stays while its write is pending: no second read');
  a.apply(late!, bump);
  const w2 = a.release(late!);
  let done = false;
  void Promise.all([w1, w2]).then(() => { done = true; });
  while (!done) { paused.shift()?.(); await new Promise((r) => setImmediate(r)); }
  assert.equal(JSON.parse((await mem.get('c'))!).seen, 12);
  assert.deepEqual(a.stats, { conflicts: 1, lost: 0 });
  assert.equal(a.size, 0);
});

test('beyond maxClients a request is not tracked; a failing store rejects and leaves no slot behind', async () => {
  const states = new ClientStates(new MemoryStore({ maxKeys: 1000 }), { ttlMs: 60_000, maxClients: 1 });
  const held = await states.acquire('c1', 1);
  assert.equal(await states.acquire('c2', 1), undefined);
  await states.release(held!);
  assert.notEqual(await states.acquire('c2', 1), undefined, 'released: room again');
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
