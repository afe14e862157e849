import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { CHANNELS, type SecurityEventMessage, type ShedBatchMessage } from './channels.js';
import { createMetrics } from './metrics/metrics.js';
import { SHED_MAX_CLIENTS, flushShed, noteShed, registerInFlight } from './shed-ledger.js';

/** Collects what one flush publishes. */
function listen(): { batches: ShedBatchMessage[]; events: SecurityEventMessage[]; stop(): void } {
  const batches: ShedBatchMessage[] = [];
  const events: SecurityEventMessage[] = [];
  const onBatch = (m: unknown) => { batches.push(m as ShedBatchMessage); };
  const onEvent = (m: unknown) => { if ((m as SecurityEventMessage).kind === 'overload.shed') events.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.overloadShed, onBatch);
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  return { batches, events, stop() { diagnostics_channel.unsubscribe(CHANNELS.overloadShed, onBatch); diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent); } };
}

test('a flush publishes one batch and one overload.shed event per client, with exact counts; then nothing until the next shed', () => {
  flushShed();
  const l = listen();
  try {
    for (let i = 0; i < 5; i++) noteShed('GET', '10.0.0.1');
    noteShed('POST', '10.0.0.2');
    noteShed('BREW', '10.0.0.2');
    flushShed();
    assert.equal(l.batches.length, 1);
    const b = l.batches[0]!;
    assert.equal(b.count, 7);
    assert.deepEqual(b.byMethod, { GET: 5, POST: 1, OTHER: 1 }, 'a client-chosen method folds into OTHER');
    assert.deepEqual([...b.byClient], [['10.0.0.1', 5], ['10.0.0.2', 2]]);
    assert.deepEqual(l.events.map((e) => [e.client, e.count, e.status, e.code, e.reason]), [
      ['10.0.0.1', 5, 503, 'PCL_OVERLOADED', 'overloaded'],
      ['10.0.0.2', 2, 503, 'PCL_OVERLOADED', 'overloaded'],
    ]);
    flushShed();
    assert.equal(l.batches.length, 1, 'an interval without sheds publishes nothing');
  } finally {
    l.stop();
  }
});

test('a flood from many addresses names a bounded number of clients; the rest are counted under "*"', () => {
  flushShed();
  const l = listen();
  try {
    const n = SHED_MAX_CLIENTS + 50;
    for (let i = 0; i < n; i++) noteShed('GET', `10.1.${i >> 8}.${i & 255}`);
    noteShed('GET', '10.1.0.0'); // a named client stays named
    flushShed();
    const b = l.batches[0]!;
    assert.equal(b.byClient.size, SHED_MAX_CLIENTS + 1);
    assert.equal(b.byClient.get('*'), 50);
    assert.equal(b.byClient.get('10.1.0.0'), 2);
    assert.equal([...b.byClient.values()].reduce((a, c) => a + c, 0), n + 1);
    assert.equal(l.events.reduce((a, e) => a + e.count!, 0), n + 1, 'the events account for every shed request');
  } finally {
    l.stop();
  }
});

test('metrics: shed requests are in requests_total and rejections_total at every scrape, without a flush; the in-flight gauge sums its sources', async () => {
  noteShed('PUT', '10.2.0.9'); // before the metrics exist: not theirs
  const registry = new Registry();
  const metrics = createMetrics({ registry, defaultMetrics: false });
  const stopA = registerInFlight(() => 3);
  const stopB = registerInFlight(() => 2);
  const shed = (text: string, method: string) => Number(new RegExp(`portcullis_requests_total\\{api="\\(none\\)",operation="\\(unmatched\\)",method="${method}",status="503",decision="refused"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  try {
    noteShed('GET', '10.2.0.1');
    noteShed('GET', '10.2.0.1');
    noteShed('DELETE', '10.2.0.2');
    const text = await registry.metrics();
    assert.deepEqual([shed(text, 'GET'), shed(text, 'DELETE'), shed(text, 'PUT')], [2, 1, 0]);
    assert.match(text, /portcullis_rejections_total\{stage="overload",code="PCL_OVERLOADED"\} 3\n/);
    assert.match(text, /portcullis_requests_in_flight 5\n/);
    noteShed('GET', '10.2.0.1');
    const again = await registry.metrics();
    assert.equal(shed(again, 'GET'), 3, 'one more shed, one more at the next scrape');
    assert.match(again, /portcullis_rejections_total\{stage="overload",code="PCL_OVERLOADED"\} 4\n/);
    stopB();
    assert.match(await registry.metrics(), /portcullis_requests_in_flight 3\n/);
  } finally {
    stopA();
    stopB();
    metrics.unsubscribe();
    flushShed();
  }
});
