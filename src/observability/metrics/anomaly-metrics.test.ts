import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ClientStates } from '../../anomaly/client-store.js';
import { MemoryStore } from '../../store/memory.js';
import type { KeyValueStore } from '../../store/store.js';
import { subscribeAnomalyMetrics } from './anomaly-metrics.js';

test('client-state conflicts and lost updates of the anomaly stage are counted', async () => {
  const registry = new Registry();
  const stop = subscribeAnomalyMetrics(registry);
  try {
    assert.match(await registry.metrics(), /^portcullis_anomaly_state_lost_updates_total 0$/m, 'present before anything happened');
    const mem = new MemoryStore({ maxKeys: 100 });
    const a = new ClientStates(mem, { ttlMs: 60_000, maxClients: 10 });
    const b = new ClientStates(mem, { ttlMs: 60_000, maxClients: 10 });
    // Both read before either writes: the second compare-and-set conflicts and merges.
    const [sa, sb] = [await a.acquire('c', 1), await b.acquire('c', 1)];
    a.apply(sa!, (s) => { s.seen++; });
    b.apply(sb!, (s) => { s.seen++; });
    await Promise.all([a.release(sa!), b.release(sb!)]);
    // A store that fails to write: the slot's three updates are lost.
    const down: KeyValueStore = {
      get: (k) => mem.get(k), set: (k, v, t) => mem.set(k, v, t), setIfAbsent: (k, v, t) => mem.setIfAbsent(k, v, t),
      increment: (k, d, t) => mem.increment(k, d, t), delete: (k) => mem.delete(k), close: () => mem.close(),
      compareAndSet: () => Promise.reject(new Error('store down')),
    };
    const c = new ClientStates(down, { ttlMs: 60_000, maxClients: 10 });
    const sc = await c.acquire('c', 1);
    for (let i = 0; i < 3; i++) c.apply(sc!, (s) => { s.seen++; });
    await assert.rejects(c.release(sc!), /store down/);
    const text = await registry.metrics();
    assert.match(text, /^portcullis_anomaly_state_conflicts_total 1$/m);
    assert.match(text, /^portcullis_anomaly_state_lost_updates_total 3$/m);
    assert.deepEqual([a.stats.conflicts + b.stats.conflicts, c.stats.lost], [1, 3], 'the metrics agree with the stores\' own counts');
  } finally {
    stop();
  }
  assert.doesNotMatch(await registry.metrics(), /anomaly_state/);
});
