import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

describe('access log, metrics and health', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(booksConfig(up.url, { top: '' }).file);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('one access log line per request, with secrets redacted', async () => {
    const res = await fetch(`${gw.url}/v1/books?api_key=s3cr3t&limit=2`, { headers: { authorization: 'Bearer top-secret-token', cookie: 'sid=abc', 'user-agent': 'probe/1' } });
    const id = res.headers.get('x-request-id');
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === id);
    assert.equal(line.status, 200);
    assert.equal(line.api, 'books');
    assert.equal(line.operationId, 'listBooks');
    assert.equal(line.method, 'GET');
    assert.equal(line.decision, 'allowed');
    assert.equal(line.ua, 'probe/1');
    assert.equal(typeof line.latencyMs, 'number');
    assert.equal(typeof line.upstreamMs, 'number');
    assert.match(String(line.path), /api_key=\[REDACTED\]/);
    assert.match(String(line.path), /limit=2/);
    const all = JSON.stringify(gw.logs);
    assert.doesNotMatch(all, /top-secret-token|s3cr3t|sid=abc/);
  });

  test('rejections are logged with their code', async () => {
    const res = await fetch(`${gw.url}/v1/secret-admin`);
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === res.headers.get('x-request-id'));
    assert.equal(line.status, 404);
    assert.equal(line.code, 'PCL_ROUTE_NOT_FOUND');
    assert.equal(line.decision, 'rejected');
  });

  test('/metrics counts requests by api, operation and status, and rejections by code', async () => {
    await fetch(`${gw.url}/v1/books/1`);
    await fetch(`${gw.url}/v1/books`, { method: 'PATCH' });
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(text, /portcullis_requests_total\{[^}]*api="books"[^}]*operation="getBook"[^}]*\} 1/);
    assert.match(text, /portcullis_rejections_total\{[^}]*code="PCL_METHOD_NOT_ALLOWED"[^}]*\} 1/);
    assert.match(text, /portcullis_request_duration_seconds_bucket/);
    assert.match(text, /portcullis_upstream_duration_seconds_bucket/);
    assert.doesNotMatch(text, /\/v1\/books\/1/, 'no paths as labels');
  });

  test('health endpoints live on the admin listener only', async () => {
    assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200);
    assert.equal((await fetch(`${gw.url}/metrics`)).status, 404);
    assert.match(gw.adminUrl, /^http:\/\/127\.0\.0\.1:/);
  });
});
