import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ClusterStoreClient, keyValueHandlers, serveClusterStore } from './cluster.js';
import { MemoryStore } from './memory.js';

/** A worker and the primary joined by an in-memory channel with JSON copies, as IPC does. */
function pair(opts: { timeoutMs?: number; deliver?: boolean } = {}) {
  const toPrimary = new EventEmitter();
  const toWorker = new EventEmitter();
  const worker = {
    on: (ev: string, l: (m: unknown) => void) => { toPrimary.on(ev, l); return worker; },
    send: (m: unknown) => { setImmediate(() => toWorker.emit('message', JSON.parse(JSON.stringify(m)))); return true; },
    isConnected: () => true,
  };
  const client = new ClusterStoreClient({
    timeoutMs: opts.timeoutMs ?? 1000,
    send: (m) => { if (opts.deliver !== false) setImmediate(() => toPrimary.emit('message', JSON.parse(JSON.stringify(m)))); },
    on: (l) => toWorker.on('message', l),
  });
  return { worker, client };
}

describe('cluster store (primary-hosted memory store reached over IPC)', () => {
  test('every operation reaches the primary store; two workers see one state', async () => {
    const memory = new MemoryStore();
    const a = pair();
    const b = pair();
    serveClusterStore(a.worker as never, keyValueHandlers(memory));
    serveClusterStore(b.worker as never, keyValueHandlers(memory));
    await a.client.set('k', 'v', 60_000);
    assert.equal(await b.client.get('k'), 'v');
    assert.equal(await b.client.get('absent'), undefined);
    assert.equal(await a.client.setIfAbsent('n', '1', 60_000), true);
    assert.equal(await b.client.setIfAbsent('n', '1', 60_000), false);
    const counts = await Promise.all([...Array(10)].map((_, i) => (i % 2 === 0 ? a : b).client.increment('c', 1, 60_000)));
    assert.deepEqual(counts.map((c) => c.value).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'atomic across workers');
    await b.client.delete('k');
    assert.equal(await a.client.get('k'), undefined);
    // compareAndSet crosses IPC, where undefined travels as null (absent key, no current value).
    assert.deepEqual(await a.client.compareAndSet('s', undefined, 'v1', 60_000), { written: true });
    assert.deepEqual(await b.client.compareAndSet('s', undefined, 'v2', 60_000), { written: false, current: 'v1' });
    assert.deepEqual(await b.client.compareAndSet('s', 'v1', 'v2', 60_000), { written: true });
    assert.deepEqual(await a.client.compareAndSet('gone', 'v', 'w', 60_000), { written: false, current: undefined });
  });

  test('an unknown operation or a failing handler is an error; no answer times out', async () => {
    const p = pair();
    serveClusterStore(p.worker as never, { boom: () => { throw new Error('nope'); } });
    await assert.rejects(p.client.call('__proto__', []), /unknown operation/);
    await assert.rejects(p.client.call('boom', []), /nope/);
    const silent = pair({ timeoutMs: 20, deliver: false });
    await assert.rejects(silent.client.get('k'), /timed out/);
  });

  test('the calls of one loop turn travel as one message each way; each gets its own answer', async () => {
    const memory = new MemoryStore();
    const p = pair();
    const sent: unknown[] = [];
    const on = p.worker.on;
    p.worker.on = (ev: string, l: (m: unknown) => void) => on(ev, (m: unknown) => { sent.push(m); l(m); });
    serveClusterStore(p.worker as never, { ...keyValueHandlers(memory), boom: () => { throw new Error('nope'); } });
    const results = await Promise.allSettled([
      ...[...Array(20)].map(() => p.client.increment('batched', 1, 60_000)),
      p.client.call('boom', []),
      p.client.call('missing', []),
    ]);
    assert.equal(sent.length, 1, 'one message for 22 calls');
    assert.equal((sent[0] as { pclStoreBatch: unknown[] }).pclStoreBatch.length, 22);
    const values = results.slice(0, 20).map((r) => (r as PromiseFulfilledResult<{ value: number }>).value.value);
    assert.deepEqual(values.sort((x, y) => x - y), [...Array(20)].map((_, i) => i + 1));
    assert.match(String((results[20] as PromiseRejectedResult).reason), /nope/);
    assert.match(String((results[21] as PromiseRejectedResult).reason), /unknown operation/);
    assert.equal(await p.client.get('absent'), undefined, 'a lone call still goes alone');
  });
});
