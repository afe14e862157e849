import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { rawRequest } from '../../test/helpers/raw.js';
import { publishRequestEnd, type RequestEndMessage } from '../observability/channels.js';
import { createMetrics } from '../observability/metrics/metrics.js';
import { startAdminServer, type AdminServer, type AdminServerOptions } from './server.js';

function end(over: Partial<RequestEndMessage> = {}): RequestEndMessage {
  return {
    requestId: 'r', method: 'GET', path: '/v1/books', api: 'books', operationId: 'listBooks', status: 200,
    durationS: 0.002, upstreamS: 0.001, bytesIn: 0, bytesOut: 10, client: '203.0.113.9', decision: 'allowed',
    code: undefined, stage: undefined, headers: {}, userAgent: undefined, ...over,
  };
}

async function start(t: { after: (fn: () => Promise<void> | void) => void }, over: Partial<AdminServerOptions> = {}): Promise<AdminServer> {
  const admin = await startAdminServer({
    host: '127.0.0.1', port: 0, registry: new Registry(), health: () => ({ live: true, ready: true }), ...over,
  });
  t.after(() => admin.close());
  return admin;
}

function assertAdminHeaders(res: Response): void {
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

test('/metrics serves the registry as Prometheus text after a request end is published', async (t) => {
  const metrics = createMetrics({ registry: new Registry() });
  t.after(() => metrics.unsubscribe());
  const admin = await start(t, { registry: metrics.registry });
  publishRequestEnd(() => end());
  const res = await fetch(`${admin.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  assertAdminHeaders(res);
  const text = await res.text();
  assert.match(text, /^portcullis_requests_total\{api="books",operation="listBooks",method="GET",status="200",decision="allowed"\} 1$/m);
  assert.match(text, /^process_cpu_user_seconds_total /m);
  // A query string does not change the route.
  assert.equal((await fetch(`${admin.url}/metrics?name[]=x`)).status, 200);
});

test('/healthz is 200 while live; /readyz is 503 while not ready, 200 when ready', async (t) => {
  let ready = false;
  const admin = await start(t, { health: () => ({ live: true, ready, detail: { generation: 3 } }) });
  const health = await fetch(`${admin.url}/healthz`);
  assert.equal(health.status, 200);
  assertAdminHeaders(health);
  assert.deepEqual(await health.json(), { status: 'ok' });

  const notReady = await fetch(`${admin.url}/readyz`);
  assert.equal(notReady.status, 503);
  assertAdminHeaders(notReady);
  assert.deepEqual(await notReady.json(), { status: 'not-ready', detail: { generation: 3 } });
  ready = true;
  const isReady = await fetch(`${admin.url}/readyz`);
  assert.equal(isReady.status, 200);
  assert.deepEqual(await isReady.json(), { status: 'ready', detail: { generation: 3 } });

  const head = await fetch(`${admin.url}/healthz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('a health callback that throws reports down and not ready', async (t) => {
  const admin = await start(t, { health: () => { throw new Error('db gone'); } });
  const res = await fetch(`${admin.url}/healthz`);
  assert.equal(res.status, 503);
  assert.doesNotMatch(await res.text(), /db gone/);
  assert.equal((await fetch(`${admin.url}/readyz`)).status, 503);
});

test('unknown paths are 404 and wrong methods 405, as problem+json with the request id', async (t) => {
  const admin = await start(t);
  const res = await fetch(`${admin.url}/nope`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assertAdminHeaders(res);
  const doc = await res.json() as Record<string, unknown>;
  assert.equal(doc.code, 'PCL_ROUTE_NOT_FOUND');
  assert.equal(doc.status, 404);
  assert.equal(doc.instance, `urn:request:${res.headers.get('x-request-id')}`);

  const post = await fetch(`${admin.url}/metrics`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await post.json() as Record<string, unknown>).code, 'PCL_METHOD_NOT_ALLOWED');
});

test('paths are matched exactly: no traversal, trailing slash or double slash reaches an endpoint', async (t) => {
  const admin = await start(t);
  for (const target of ['/metrics/', '//metrics', '/nope/../metrics', '/METRICS', '/metrics%00', '/healthz/../metrics']) {
    const res = await rawRequest(admin.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(res.status, 404, target);
    assert.equal(JSON.parse(res.body).code, 'PCL_ROUTE_NOT_FOUND');
  }
});

test('extra routes are served; a failing one answers 500 without leaking the error', async (t) => {
  const errors: unknown[] = [];
  const admin = await start(t, {
    onError: (e) => errors.push(e),
    routes: [
      { method: 'GET', path: '/config', handler: (_req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"apis":1}'); } },
      { method: 'POST', path: '/boom', handler: async () => { throw new Error('secret internals'); } },
    ],
  });
  const cfg = await fetch(`${admin.url}/config`);
  assert.equal(cfg.status, 200);
  assertAdminHeaders(cfg);
  assert.deepEqual(await cfg.json(), { apis: 1 });

  const boom = await fetch(`${admin.url}/boom`, { method: 'POST' });
  assert.equal(boom.status, 500);
  const text = await boom.text();
  assert.equal(JSON.parse(text).code, 'PCL_INTERNAL');
  assert.doesNotMatch(text, /secret internals/);
  assert.equal((errors[0] as Error).message, 'secret internals');
});

test('a route registered twice is refused at start', async () => {
  await assert.rejects(startAdminServer({
    host: '127.0.0.1', port: 0, registry: new Registry(), health: () => ({ live: true, ready: true }),
    routes: [{ method: 'GET', path: '/metrics', handler: () => {} }],
  }), /registered twice/);
});

test('a port in use is a PCL_ERR_LISTEN error', async (t) => {
  const first = await start(t);
  await assert.rejects(startAdminServer({ host: '127.0.0.1', port: first.port, registry: new Registry(), health: () => ({ live: true, ready: true }) }), { code: 'PCL_ERR_LISTEN' });
});

test('close() ends idle keep-alive connections and resolves', async () => {
  const admin = await startAdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), health: () => ({ live: true, ready: true }) });
  assert.equal((await fetch(`${admin.url}/healthz`)).status, 200);
  await admin.close();
  await assert.rejects(fetch(`${admin.url}/healthz`));
});
