import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

describe('routing and proxying', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: `    cors:\n      allowOrigins: [https://app.example]\n      allowCredentials: true` }).file);
    port = Number(new URL(gw.url).port);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('a documented operation is proxied with forwarding headers and a request id', async () => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/v1/books?limit=5`);
    assert.equal(res.status, 200);
    const body = await res.json() as { url: string };
    assert.equal(body.url, '/v1/books?limit=5');
    const seen = up.seen[before]!;
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.match(String(seen.headers.forwarded), /for=127\.0\.0\.1/);
    const id = res.headers.get('x-request-id');
    assert.ok(id !== null && id.length >= 8);
    assert.equal(seen.headers['x-request-id'], id);
  });

  test('a well-formed client request id is kept; a malformed one replaced', async () => {
    const ok = await fetch(`${gw.url}/v1/books`, { headers: { 'x-request-id': 'client-id-12345' } });
    assert.equal(ok.headers.get('x-request-id'), 'client-id-12345');
    const bad = await fetch(`${gw.url}/v1/books`, { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    assert.notEqual(bad.headers.get('x-request-id'), 'bad id with spaces <script>');
  });

  test('security headers are added and upstream fingerprints removed', async () => {
    const res = await fetch(`${gw.url}/v1/books/42`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('server'), null);
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-security-policy'), "frame-ancestors 'none'");
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('strict-transport-security'), null);
  });

  test('credentialed responses are not cacheable', async () => {
    const res = await fetch(`${gw.url}/v1/books`, { headers: { authorization: 'Bearer x' } });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('undocumented endpoints get 404 problem+json with the request id', async () => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/v1/admin/users`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const p = await res.json() as Record<string, unknown>;
    assert.equal(p.code, 'PCL_ROUTE_NOT_FOUND');
    assert.equal(p.status, 404);
    assert.equal(p.instance, `urn:request:${res.headers.get('x-request-id')}`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(up.seen.length, before, 'nothing reached the upstream');
  });

  test('a documented path with another method gets 405 and Allow', async () => {
    const res = await fetch(`${gw.url}/v1/books`, { method: 'PATCH' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
    assert.equal((await res.json() as { code: string }).code, 'PCL_METHOD_NOT_ALLOWED');
  });

  test('path traversal is normalised consistently with routing, or rejected', async () => {
    const before = up.seen.length;
    // Stays inside the root: routed (and forwarded) as /v1/admin/users, which is undocumented.
    const inside = await rawRequest(port, 'GET /v1/books/../admin/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(inside.status, 404);
    assert.equal(JSON.parse(inside.body).code, 'PCL_ROUTE_NOT_FOUND');
    // Dot segments that resolve to a documented path are forwarded normalised.
    const resolved = await rawRequest(port, 'GET /v1/x/../books HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(resolved.status, 200);
    assert.equal(up.seen.at(-1)!.url, '/v1/books');
    for (const target of ['/../etc/passwd', '/v1/%2e%2e/%2e%2e/%2e%2e/x', '/v1/books%2F42', '/v1/books/%zz', '/v1/books/%00']) {
      const res = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 400, target);
      assert.equal(JSON.parse(res.body).code, 'PCL_BAD_PATH', target);
    }
    assert.equal(up.seen.length, before + 1, 'only the resolved request reached the upstream');
  });

  test('hop-by-hop headers, and those named in Connection, are not forwarded', async () => {
    const res = await rawRequest(port, 'GET /v1/books HTTP/1.1\r\nHost: x\r\nConnection: close, x-internal\r\nX-Internal: secret\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nTE: trailers\r\n\r\n');
    assert.equal(res.status, 200);
    const seen = up.seen.at(-1)!;
    assert.equal(seen.headers['x-internal'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers.te, undefined);
  });

  test('X-Forwarded-For from an untrusted peer is replaced, not appended', async () => {
    await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6' } });
    const seen = up.seen.at(-1)!;
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.doesNotMatch(String(seen.headers.forwarded), /6\.6\.6\.6/);
  });

  test('request bodies stream to the upstream intact', async () => {
    const payload = Buffer.alloc(300_000, 'b');
    const res = await fetch(`${gw.url}/v1/books`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { bodyLength: number }).bodyLength, 300_000);
    assert.equal(up.seen.at(-1)!.body.equals(payload), true);
  });

  test('CORS: an allowed preflight is answered by the gateway, a foreign one refused', async () => {
    const before = up.seen.length;
    const ok = await fetch(`${gw.url}/v1/books`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    const evil = await fetch(`${gw.url}/v1/books`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evil.status, 403);
    assert.equal((await evil.json() as { code: string }).code, 'PCL_CORS_REJECTED');
    assert.equal(up.seen.length, before, 'preflights never reach the upstream');
  });

  test('CORS: the upstream wildcard is replaced; only listed origins are echoed', async () => {
    const evil = await fetch(`${gw.url}/v1/books`, { headers: { origin: 'https://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const good = await fetch(`${gw.url}/v1/books`, { headers: { origin: 'https://app.example' } });
    assert.equal(good.headers.get('access-control-allow-origin'), 'https://app.example');
    const err = await fetch(`${gw.url}/v1/nope`, { headers: { origin: 'https://app.example' } });
    assert.equal(err.status, 404);
  });

  test('HEAD on a GET-only operation is not silently allowed', async () => {
    const res = await fetch(`${gw.url}/v1/books`, { method: 'HEAD' });
    assert.equal(res.status, 405);
  });
});
