import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { createCorsStage } from './stage.js';
import type { CorsConfig } from './schema.js';

const base: CorsConfig = { mode: 'enforce', allowOrigins: ['https://app.example'], allowMethods: ['GET', 'POST'], allowHeaders: ['authorization', 'content-type'], exposeHeaders: ['x-request-id'], allowCredentials: true, maxAgeSeconds: 600 };

function ctx(method: string, headers: IncomingHttpHeaders): RequestContext {
  return {
    id: 'r', startedAt: 0n, method, path: '/', query: '', headers,
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'a', operationId: undefined, pathTemplate: '/', tags: [], params: {} },
    principal: undefined, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}
const res = (headers: Record<string, string> = {}): ResponseContext => ({ status: 200, headers: { ...headers }, body: undefined, generated: false });

test('an allowed preflight is answered with the exact origin and the policy', () => {
  const s = createCorsStage(base);
  const d = s.handlers['pre-auth']!(ctx('OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'Content-Type' }));
  assert.ok(!(d instanceof Promise) && d.kind === 'respond');
  assert.equal(d.status, 204);
  assert.equal(d.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(d.headers['access-control-allow-credentials'], 'true');
  assert.equal(d.headers['access-control-allow-methods'], 'GET, POST');
  assert.equal(d.headers['access-control-max-age'], '600');
});

test('preflights from unlisted origins, methods or headers are refused with PCL_CORS_REJECTED', () => {
  const s = createCorsStage(base);
  for (const h of [
    { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    { origin: 'https://app.example.evil.example', 'access-control-request-method': 'GET' },
    { origin: 'null', 'access-control-request-method': 'GET' },
    { origin: 'https://app.example', 'access-control-request-method': 'DELETE' },
    { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-admin' },
  ]) {
    const d = s.handlers['pre-auth']!(ctx('OPTIONS', h));
    assert.ok(!(d instanceof Promise) && d.kind === 'reject', JSON.stringify(h));
    assert.equal(d.error.code, 'PCL_CORS_REJECTED');
    assert.equal(d.error.status, 403);
  }
});

test('an unlisted origin is never reflected and upstream CORS headers are replaced', () => {
  const s = createCorsStage(base);
  const r = res({ 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' });
  s.handlers.respond!(ctx('GET', { origin: 'https://evil.example' }), r);
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal(r.headers['access-control-allow-credentials'], undefined);
  assert.equal(r.headers.vary, 'Origin');
  const ok = res();
  s.handlers.respond!(ctx('GET', { origin: 'https://app.example' }), ok);
  assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(ok.headers['access-control-expose-headers'], 'x-request-id');
});

test('"*" is sent literally and never with credentials', () => {
  const s = createCorsStage({ ...base, allowOrigins: ['*'], allowCredentials: true });
  const r = res();
  s.handlers.respond!(ctx('GET', { origin: 'https://anything.example' }), r);
  assert.equal(r.headers['access-control-allow-origin'], '*');
  assert.equal(r.headers['access-control-allow-credentials'], undefined);
});

test('non-preflight requests pass the pre-auth phase untouched', () => {
  const s = createCorsStage(base);
  const d = s.handlers['pre-auth']!(ctx('OPTIONS', { origin: 'https://evil.example' }));
  assert.ok(!(d instanceof Promise) && d.kind === 'continue');
});
