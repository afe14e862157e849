import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { loadOpenApi } from '../../openapi/index.js';
import type { Principal, RequestContext, ResponseContext } from '../../pipeline/context.js';
import type { Decision } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/index.js';
import { findPackageRoot } from '../../util/package-root.js';
import { ResponseFilterSchema, type ResponseFilterConfig } from './schema.js';
import { createResponseFilterStage } from './stage.js';

const fixtures = join(findPackageRoot(import.meta.url), 'test', 'fixtures');

async function stage(file: string, operationId: string, over: Partial<ResponseFilterConfig> = {}) {
  const d = await loadOpenApi(join(fixtures, file));
  const operation = d.operations.find((o) => o.operationId === operationId)!;
  const cfg = { ...(Value.Default(ResponseFilterSchema, {}) as ResponseFilterConfig), ...over };
  return createResponseFilterStage(cfg, { apiName: 'a', operationId, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: d.version });
}

function ctx(roles: string[] = []): RequestContext {
  const principal: Principal = { id: 'u', kind: 'test', scopes: [], roles, claims: {} };
  return {
    id: 'r', startedAt: 0n, method: 'GET', path: '/', query: '', headers: {},
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'a', operationId: undefined, pathTemplate: '/', tags: [], params: {} },
    principal, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

function res(status: number, body: unknown, ct = 'application/json'): ResponseContext {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers: { 'content-type': ct, 'content-length': String(buf.length) }, body: buf, generated: false };
}

async function go(s: Awaited<ReturnType<typeof stage>>, c: RequestContext, r: ResponseContext): Promise<Decision> {
  return s.handlers.respond!(c, r);
}

const leaky = { id: 1, name: 'pen', password: 'hunter2', internalCost: 3, secret: 's', lines: [{ price: 1, supplier: 'x' }] };

test('filter: undeclared and writeOnly properties removed (a leaked password), nested too', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem');
  const r = res(200, leaky);
  const c = ctx(['admin']);
  assert.equal((await go(s, c, r)).kind, 'continue');
  const out = JSON.parse(r.body!.toString());
  assert.deepEqual(out, { id: 1, name: 'pen', secret: 's', lines: [{ price: 1 }] });
  assert.equal(r.headers['content-length'], String(r.body!.length));
  assert.equal(c.findings[0]?.code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
});

test('x-portcullis-visible-to: the field is removed for principals without the role', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem');
  const r = res(200, { id: 1, name: 'pen', secret: 's' });
  await go(s, ctx(['user']), r);
  assert.deepEqual(JSON.parse(r.body!.toString()), { id: 1, name: 'pen' });
});

test('filter applies to every element of a list response', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'listItems');
  const r = res(200, [{ id: 1, name: 'a', password: 'p' }, { id: 2, name: 'b', tenant: 'other' }]);
  await go(s, ctx(), r);
  assert.deepEqual(JSON.parse(r.body!.toString()), [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
});

test('a clean response is left byte-for-byte untouched', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem');
  const r = res(200, '{"id":1,  "name":"pen"}');
  await go(s, ctx(), r);
  assert.equal(r.body!.toString(), '{"id":1,  "name":"pen"}');
});

test('report: nothing changes, a finding is recorded', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem', { action: 'report' });
  const r = res(200, leaky);
  const c = ctx();
  assert.equal((await go(s, c, r)).kind, 'continue');
  assert.deepEqual(JSON.parse(r.body!.toString()), leaky);
  assert.equal(c.findings.length, 1);
  assert.equal(c.findings[0]!.enforced, false);
});

test('block: a leaking or invalid response becomes 502 PCL_RESPONSE_CONTRACT_VIOLATION', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem', { action: 'block' });
  for (const body of [leaky, { id: 'x', name: 'pen' }, { name: 'pen' }]) {
    const d = await go(s, ctx(), res(200, body));
    assert.ok(d.kind === 'reject');
    assert.equal(d.error.status, 502);
    assert.equal(d.error.code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
  }
  assert.equal((await go(s, ctx(), res(200, { id: 1, name: 'pen' }))).kind, 'continue');
});

test('block hides role-restricted properties as filter does: the response passes without them', async () => {
  // A response that keeps the contract is not blocked, but a property the caller's roles may not
  // see is still removed (x-portcullis-visible-to on `secret`, visibleTo from config on `name`).
  for (const action of ['filter', 'block'] as const) {
    const s = await stage('validation/shop-3.1.yaml', 'getItem', { action, visibleTo: { name: ['admin'] } });
    const r = res(200, { id: 1, name: 'pen', secret: 's' });
    const c = ctx(['user']);
    assert.equal((await go(s, c, r)).kind, 'continue', action);
    assert.deepEqual(JSON.parse(r.body!.toString()), { id: 1 }, action);
    assert.equal(r.headers['content-length'], String(r.body!.length));
    const admin = res(200, { id: 1, name: 'pen', secret: 's' });
    await go(s, ctx(['admin']), admin);
    assert.deepEqual(JSON.parse(admin.body!.toString()), { id: 1, name: 'pen', secret: 's' }, action);
  }
});

test('undeclared status and content type: blocked in filter and block, reported in report', async () => {
  for (const action of ['filter', 'block'] as const) {
    const s = await stage('validation/shop-3.1.yaml', 'getItem', { action });
    const st = await go(s, ctx(), res(500, { stack: 'at x' }));
    assert.ok(st.kind === 'reject' && st.error.code === 'PCL_RESPONSE_CONTRACT_VIOLATION');
    const ct = await go(s, ctx(), res(200, '<html>debug</html>', 'text/html'));
    assert.ok(ct.kind === 'reject' && ct.error.status === 502);
  }
  const s = await stage('validation/shop-3.1.yaml', 'getItem', { action: 'report' });
  assert.equal((await go(s, ctx(), res(500, {}))).kind, 'continue');
});

test('monitor mode only reports', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem', { mode: 'monitor', action: 'block' });
  const r = res(200, leaky);
  assert.equal((await go(s, ctx(), r)).kind, 'continue');
  assert.deepEqual(JSON.parse(r.body!.toString()), leaky);
});

test('OpenAPI 3.0 writeOnly is removed; circular response schemas work', async () => {
  const s = await stage('validation/pets-3.0.yaml', 'getPet');
  const r = res(200, { id: 1, name: 'Rex', password: 'p' });
  await go(s, ctx(), r);
  assert.deepEqual(JSON.parse(r.body!.toString()), { id: 1, name: 'Rex' });
  const t = await stage('openapi/circular.yaml', 'getNode');
  const r2 = res(200, { name: 'a', children: [{ name: 'b', leak: 1, owner: { pets: [{ name: 'c', x: 2 }] } }] });
  await go(t, ctx(), r2);
  assert.deepEqual(JSON.parse(r2.body!.toString()), { name: 'a', children: [{ name: 'b', owner: { pets: [{ name: 'c' }] } }] });
});

test('gateway-generated responses are not checked', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'getItem', { action: 'block' });
  assert.equal((await go(s, ctx(), { ...res(404, {}), generated: true })).kind, 'continue');
});

test('an unbuffered (oversize) JSON body: blocked by default, reported when configured', async () => {
  const big = (): ResponseContext => ({ status: 200, headers: { 'content-type': 'application/json', 'content-length': '99999999' }, body: undefined, oversize: true, generated: false });
  const d = await go(await stage('validation/shop-3.1.yaml', 'getItem'), ctx(), big());
  assert.ok(d.kind === 'reject' && d.error.code === 'PCL_RESPONSE_CONTRACT_VIOLATION');
  assert.equal((await go(await stage('validation/shop-3.1.yaml', 'getItem', { oversize: 'report' }), ctx(), big())).kind, 'continue');
});

test('visibleTo in config hides a property by name wherever it appears, unless the principal has the role', async () => {
  const s = await stage('validation/shop-3.1.yaml', 'listItems', { visibleTo: { name: ['admin'], secret: [] } });
  const body = [{ id: 1, name: 'a', secret: 's' }, { id: 2, name: 'b' }];
  const r = res(200, body);
  await go(s, ctx(['user']), r);
  assert.deepEqual(JSON.parse(r.body!.toString()), [{ id: 1 }, { id: 2 }]);
  const r2 = res(200, body);
  await go(s, ctx(['admin']), r2);
  assert.deepEqual(JSON.parse(r2.body!.toString()), [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
});
