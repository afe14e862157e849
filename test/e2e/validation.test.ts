import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { E2E_PREAMBLE } from '../helpers/config.js';

interface Problem { status: number; code: string; errors?: { pointer: string; reason: string }[] }

describe('OpenAPI request validation through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const yaml = `${E2E_PREAMBLE}apis:
  - name: shop
    upstream: ${up.url}
    openapi: ./shop.yaml
    stages:
      request-validation: {}
  - name: pets
    upstream: ${up.url}
    openapi: ./pets.yaml
    stages:
      request-validation:
        mode: enforce
    operations:
      getPet:
        stages:
          request-validation:
            mode: monitor
`;
    const { file } = writeConfig(yaml, {
      'shop.yaml': readFileSync(fixture('validation', 'shop-3.1.yaml'), 'utf8'),
      'pets.yaml': readFileSync(fixture('validation', 'pets-3.0.yaml'), 'utf8'),
    });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const send = async (path: string, init: RequestInit = {}) => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}${path}`, init);
    const text = await res.text();
    return { res, forwarded: up.seen.length > before, text };
  };
  const expectRejected = async (path: string, init: RequestInit, status: number, code: string, pointer?: string) => {
    const { res, forwarded, text } = await send(path, init);
    assert.equal(res.status, status, text);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const p = JSON.parse(text) as Problem;
    assert.equal(p.code, code);
    if (pointer !== undefined) assert.ok(p.errors?.some((e) => e.pointer === pointer), text);
    assert.equal(forwarded, false, 'nothing reached the upstream');
    return { p, text };
  };
  const json = (body: unknown, extra: Record<string, string> = {}): RequestInit => ({
    method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': 't1', ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  test('valid requests pass (3.1 and 3.0)', async () => {
    const a = await send('/v1/items?limit=5&tags=a&filter[color]=red');
    assert.equal(a.res.status, 200);
    assert.ok(a.forwarded);
    const b = await send('/v1/items', json({ name: 'pen', price: 2 }));
    assert.equal(b.res.status, 200, b.text);
    assert.equal(JSON.parse(b.text).bodyLength, JSON.stringify({ name: 'pen', price: 2 }).length, 'the body reaches the upstream unchanged');
    const c = await send('/pets', json({ name: 'Rex', tag: null }));
    assert.equal(c.res.status, 200, c.text);
  });

  test('parameter violations: 400 with pointers', async () => {
    await expectRejected('/v1/items?limit=0', {}, 400, 'PCL_VALIDATION_FAILED', '/query/limit');
    await expectRejected('/v1/items?debug=true', {}, 400, 'PCL_VALIDATION_FAILED', '/query/debug');
    await expectRejected('/v1/items?limit=1&limit=2', {}, 400, 'PCL_VALIDATION_FAILED', '/query/limit');
    await expectRejected('/v1/items/abc', {}, 400, 'PCL_VALIDATION_FAILED', '/path/id');
    await expectRejected('/v1/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' }, 400, 'PCL_VALIDATION_FAILED', '/header/x-tenant');
  });

  test('body schema violation: bounded list of pointer + reason, no input echoed', async () => {
    const { p, text } = await expectRejected('/v1/items', json({ name: 'TOPSECRET'.repeat(10), lines: [{ price: -1 }] }), 400, 'PCL_VALIDATION_FAILED', '/body/lines/0/price');
    assert.ok(p.errors!.length <= 10);
    assert.ok(!text.includes('TOPSECRET'));
  });

  test('mass assignment: an extra isAdmin property is refused', async () => {
    await expectRejected('/v1/items', json({ name: 'pen', isAdmin: true }), 400, 'PCL_VALIDATION_FAILED', '/body/isAdmin');
    await expectRejected('/pets', json({ name: 'Rex', isAdmin: true }), 400, 'PCL_VALIDATION_FAILED', '/body/isAdmin');
  });

  test('readOnly property sent: refused', async () => {
    await expectRejected('/v1/items', json({ id: 1, name: 'pen' }), 400, 'PCL_VALIDATION_FAILED', '/body/id');
  });

  test('prototype pollution and duplicate keys: refused', async () => {
    await expectRejected('/v1/items', json('{"name":"a","__proto__":{"isAdmin":true}}'), 400, 'PCL_VALIDATION_FAILED');
    await expectRejected('/v1/items', json('{"name":"a","constructor":{"prototype":{"x":1}}}'), 400, 'PCL_VALIDATION_FAILED');
    await expectRejected('/v1/items', json('{"name":"a","price":1,"price":-1}'), 400, 'PCL_VALIDATION_FAILED', '/body/price');
  });

  test('deep nesting is refused before parsing', async () => {
    const deep = '{"name":"a","lines":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    await expectRejected('/v1/items', json(deep), 400, 'PCL_VALIDATION_FAILED');
    // /loose accepts anything under "b": only the configured default depth limit (32) can refuse this.
    const { p } = await expectRejected('/v1/loose', json('{"a":"x","b":' + '['.repeat(40) + ']'.repeat(40) + '}'), 400, 'PCL_VALIDATION_FAILED');
    assert.equal(p.errors![0]!.reason, 'nesting too deep');
  });

  test('a declared 100 MB body is refused up front with 413, before anything is buffered', async () => {
    const before = up.seen.length;
    const port = Number(new URL(gw.url).port);
    const r = await rawRequest(port, 'POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Tenant: t\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n{"name":');
    assert.equal(r.status, 413);
    assert.match(r.body, /PCL_BODY_TOO_LARGE/);
    assert.equal(up.seen.length, before);
  });

  test('wrong, charset-tricked and lookalike content types: 415', async () => {
    for (const ct of ['text/plain', 'application/json;charset=utf-7', 'application/jsonx', 'application/json-patch+json']) {
      await expectRejected('/v1/items', { method: 'POST', headers: { 'content-type': ct, 'x-tenant': 't' }, body: '{"name":"a"}' }, 415, 'PCL_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('XXE: a DOCTYPE with an external entity is refused', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><item><name>&xxe;</name></item>';
    await expectRejected('/v1/items', { method: 'POST', headers: { 'content-type': 'application/xml', 'x-tenant': 't' }, body: xxe }, 400, 'PCL_VALIDATION_FAILED', '/body');
    // The pets API declares no XML at all: 415.
    await expectRejected('/pets', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xxe }, 415, 'PCL_UNSUPPORTED_MEDIA_TYPE');
  });

  test('OpenAPI 3.0 specifics through the gateway', async () => {
    await expectRejected('/pets', json({ name: 'Rex', age: 0 }), 400, 'PCL_VALIDATION_FAILED', '/body/age');
    await expectRejected('/animals', json({ kind: 'cat', barks: true }), 400, 'PCL_VALIDATION_FAILED');
  });

  test('monitor mode (per operation) records but lets the request through', async () => {
    const r = await send('/pets/notanumber');
    assert.equal(r.res.status, 200);
    assert.ok(r.forwarded);
  });
});

describe('response-filter through a real gateway: status and content-type checks', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream((req, res) => {
      if (req.url === '/pets/13') {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end('<html>stack trace: at Db.query (/srv/app.js:1)</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 1, name: 'Rex' }));
    });
    const yaml = `${E2E_PREAMBLE}apis:
  - name: pets
    upstream: ${up.url}
    openapi: ./pets.yaml
    operations:
      getPet:
        stages:
          response-filter: { action: block, oversize: report }
`;
    const { file } = writeConfig(yaml, { 'pets.yaml': readFileSync(fixture('validation', 'pets-3.0.yaml'), 'utf8') });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('a declared response passes', async () => {
    const res = await fetch(`${gw.url}/pets/1`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 1, name: 'Rex' });
  });

  test('an undeclared status with an HTML stack trace is replaced by 502', async () => {
    const res = await fetch(`${gw.url}/pets/13`);
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(text).code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
    assert.ok(!text.includes('stack trace'));
  });
});
