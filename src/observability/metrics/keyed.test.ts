import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { KeyedCounter, KeyedHistogram } from './keyed.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [['shop', 'getItem', 0.0004], ['shop', 'getItem', 0.05], ['shop', 'listItems', 0.001], ['admin', '(unmatched)', 7], ['shop', 'getItem', 0.01]];

test('a keyed histogram and counter expose exactly what prom-client\'s own report for the same observations', async () => {
  const plain = new Registry();
  const keyed = new Registry();
  const h = new Histogram({ name: 't_seconds', help: 'h', labelNames: ['api', 'operation'], buckets: BUCKETS, registers: [plain] });
  const c = new Counter({ name: 't_total', help: 'c', labelNames: ['api', 'operation'], registers: [plain] });
  const kh = new KeyedHistogram({ name: 't_seconds', help: 'h', labelNames: ['api', 'operation'], buckets: BUCKETS, registers: [keyed] });
  const kc = new KeyedCounter({ name: 't_total', help: 'c', labelNames: ['api', 'operation'], registers: [keyed] });
  for (const [api, operation, v] of OBSERVED) {
    h.observe({ api, operation }, v);
    c.inc({ api, operation });
    kh.observeKeyed(`${api}\u0000${operation}`, () => ({ api, operation }), v);
    kc.incKeyed(`${api}\u0000${operation}`, () => ({ api, operation }));
  }
  assert.equal(await keyed.metrics(), await plain.metrics());
  assert.deepEqual(await keyed.getMetricsAsJSON(), await plain.getMetricsAsJSON());
  // Counts added between two reads are reported once, on the next read.
  c.inc({ api: 'shop', operation: 'getItem' });
  kc.incKeyed('shop\u0000getItem', () => ({ api: 'shop', operation: 'getItem' }));
  assert.equal(await keyed.metrics(), await plain.metrics());
  assert.equal(await keyed.metrics(), await plain.metrics());
});

test('reset empties a keyed series, like prom-client\'s', async () => {
  const r = new Registry();
  const kh = new KeyedHistogram({ name: 'r_seconds', help: 'h', labelNames: ['api'], buckets: BUCKETS, registers: [r] });
  const kc = new KeyedCounter({ name: 'r_total', help: 'c', labelNames: ['api'], registers: [r] });
  kh.observeKeyed('a', () => ({ api: 'a' }), 0.5);
  kc.incKeyed('a', () => ({ api: 'a' }));
  r.resetMetrics();
  const text = await r.metrics();
  assert.ok(!text.includes('api="a"'), text);
});
