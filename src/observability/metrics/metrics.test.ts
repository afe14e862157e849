import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  publishCircuitState,
  publishClientError,
  publishConfigReload,
  publishRequestEnd,
  publishStageDecision,
  publishStageError,
  publishUpstreamError,
  type RequestEndMessage,
} from '../channels.js';
import { createMetrics } from './metrics.js';

function end(over: Partial<RequestEndMessage> = {}): RequestEndMessage {
  return {
    requestId: 'r', method: 'GET', path: '/v1/books', api: 'books', operationId: 'listBooks', status: 200,
    durationS: 0.004, upstreamS: 0.003, bytesIn: 0, bytesOut: 10, client: '203.0.113.9', decision: 'allowed',
    code: undefined, stage: undefined, headers: {}, userAgent: undefined, ...over,
  };
}

function setup(t: { after: (fn: () => void) => void }) {
  const m = createMetrics({ registry: new Registry(), defaultMetrics: false });
  t.after(() => m.unsubscribe());
  return m;
}

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const hit = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return hit?.value;
}

test('a finished request moves the request counter and the latency histograms', async (t) => {
  const { registry } = setup(t);
  publishRequestEnd(() => end());
  publishRequestEnd(() => end());
  const text = await registry.metrics();
  assert.match(text, /^portcullis_requests_total\{api="books",operation="listBooks",method="GET",status="200",decision="allowed"\} 2$/m);
  assert.match(text, /^portcullis_request_duration_seconds_bucket\{le="0.005",api="books",operation="listBooks"\} 2$/m);
  assert.match(text, /^portcullis_request_duration_seconds_bucket\{le="0.0025",api="books",operation="listBooks"\} 0$/m);
  assert.match(text, /^portcullis_upstream_duration_seconds_count\{api="books"\} 2$/m);
});

test('rejections are counted once, from the request end, with "gateway" when no stage rejected', async (t) => {
  const { registry } = setup(t);
  // A stage rejection publishes a stage decision and then the request end: one rejection.
  publishStageDecision({ requestId: 'r', stage: 'cors', decision: 'reject', code: 'PCL_CORS_REJECTED', enforced: true });
  publishRequestEnd(() => end({ status: 403, decision: 'rejected', code: 'PCL_CORS_REJECTED', stage: 'cors', upstreamS: undefined }));
  publishRequestEnd(() => end({ api: '(none)', operationId: '(unmatched)', status: 404, decision: 'rejected', code: 'PCL_ROUTE_NOT_FOUND', upstreamS: undefined }));
  assert.equal(await value(registry, 'portcullis_rejections_total', { stage: 'cors', code: 'PCL_CORS_REJECTED' }), 1);
  assert.equal(await value(registry, 'portcullis_rejections_total', { stage: 'gateway', code: 'PCL_ROUTE_NOT_FOUND' }), 1);
  assert.equal(await value(registry, 'portcullis_requests_total', { api: '(none)', operation: '(unmatched)', status: '404' }), 1);
  // Upstream timing is only observed when the upstream was called.
  assert.equal(await value(registry, 'portcullis_upstream_duration_seconds', { api: 'books' }), undefined);
});

test('monitor-mode decisions are counted apart from rejections', async (t) => {
  const { registry } = setup(t);
  publishStageDecision({ requestId: 'r', stage: 'cors', decision: 'reject', code: 'PCL_CORS_REJECTED', enforced: false });
  publishRequestEnd(() => end({ decision: 'monitored' }));
  assert.equal(await value(registry, 'portcullis_monitored_total', { stage: 'cors', code: 'PCL_CORS_REJECTED' }), 1);
  assert.equal((await registry.getSingleMetric('portcullis_rejections_total')!.get()).values.length, 0);
});

test('a client-chosen method never becomes a label value', async (t) => {
  const { registry } = setup(t);
  publishRequestEnd(() => end({ method: 'PROPFIND' }));
  publishRequestEnd(() => end({ method: 'X'.repeat(100) }));
  assert.equal(await value(registry, 'portcullis_requests_total', { method: 'OTHER' }), 2);
  assert.doesNotMatch(await registry.metrics(), /PROPFIND|XXXX/);
});

test('upstream errors, circuit state, reloads, client and stage errors', async (t) => {
  const { registry } = setup(t);
  assert.equal(await value(registry, 'portcullis_config_reloads_total', { result: 'success' }), 0, 'present before any reload');
  publishUpstreamError({ requestId: 'r', api: 'books', code: 'PCL_UPSTREAM_TIMEOUT', reason: 'x' });
  publishCircuitState({ api: 'books', state: 'open' });
  publishCircuitState({ api: 'authors', state: 'half-open' });
  publishConfigReload({ ok: true, reason: 'SIGHUP', durationMs: 1 });
  publishConfigReload({ ok: false, reason: 'watch', error: 'bad', durationMs: 1 });
  publishConfigReload({ ok: false, reason: 'watch', error: 'bad', durationMs: 1 });
  publishClientError({ code: 'PCL_HEADERS_TOO_LARGE', peer: '198.51.100.1' });
  publishStageError({ requestId: 'r', stage: 'authn', error: new Error('x') });
  assert.equal(await value(registry, 'portcullis_upstream_errors_total', { api: 'books', code: 'PCL_UPSTREAM_TIMEOUT' }), 1);
  assert.equal(await value(registry, 'portcullis_circuit_state', { api: 'books' }), 2);
  assert.equal(await value(registry, 'portcullis_circuit_state', { api: 'authors' }), 1);
  publishCircuitState({ api: 'books', state: 'closed' });
  assert.equal(await value(registry, 'portcullis_circuit_state', { api: 'books' }), 0);
  assert.equal(await value(registry, 'portcullis_config_reloads_total', { result: 'success' }), 1);
  assert.equal(await value(registry, 'portcullis_config_reloads_total', { result: 'failure' }), 2);
  assert.equal(await value(registry, 'portcullis_client_errors_total', { code: 'PCL_HEADERS_TOO_LARGE' }), 1);
  assert.equal(await value(registry, 'portcullis_stage_errors_total', { stage: 'authn' }), 1);
  // The peer address is not a label.
  assert.doesNotMatch(await registry.metrics(), /198\.51\.100\.1/);
});

test('unsubscribe stops counting and frees the names, so metrics can be created again', async () => {
  const registry = new Registry();
  const first = createMetrics({ registry, prefix: 'pcl_' });
  assert.ok(registry.getSingleMetric('process_cpu_user_seconds_total'), 'default metrics collected');
  first.unsubscribe();
  assert.equal(registry.getMetricsAsArray().length, 0);
  publishRequestEnd(() => end());
  const second = createMetrics({ registry, prefix: 'pcl_' });
  try {
    publishRequestEnd(() => end());
    assert.equal(await value(registry, 'pcl_requests_total', { api: 'books' }), 1);
  } finally {
    second.unsubscribe();
  }
});
