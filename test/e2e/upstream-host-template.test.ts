import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TENANT_DOC = `openapi: 3.0.3
info: { title: tenants, version: '1' }
servers: [{ url: /bypath }]
paths:
  /tenants/{tenant}/items:
    get:
      operationId: listItems
      parameters: [{ name: tenant, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: ok } }
`;

describe('upstreamHost: an upstream host built from request data is validated and SSRF-checked', () => {
  let up: FakeUpstream;
  let trap: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    trap = await startUpstream();
    // A tenant backend that redirects into the network: the gateway must hand the redirect back, not follow it.
    up = await startUpstream((req, res) => {
      if (req.url?.endsWith('/redirect') === true) { res.writeHead(302, { location: `http://127.0.0.1:${trap.port}/latest/meta-data/` }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    const guard = `    addressGuard:
      allow: [127.0.0.1/32]
      resolve:
        acme.tenants.test: [127.0.0.1]
        meta.tenants.test: [169.254.169.254]
        rebind.tenants.test: [127.0.0.1, 10.0.0.1]
        mapped.tenants.test: ['::ffff:169.254.169.254']
`;
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: byheader
    upstream: http://default.tenants.test:${up.port}/base
    prefixes: [/byheader]
    retries: 0
    upstreamHost:
      template: '{value}.tenants.test'
      from: header
      name: X-Tenant
      hosts: ['*.tenants.test']
${guard}  - name: bypath
    upstream: http://default.tenants.test:${up.port}
    openapi: ./tenants.yaml
    retries: 0
    upstreamHost:
      template: '{value}.tenants.test'
      from: path
      name: tenant
      hosts: [acme.tenants.test, meta.tenants.test]
${guard}  - name: loose
    upstream: http://default.tenants.test:${up.port}
    prefixes: [/loose]
    retries: 0
    upstreamHost:
      template: '{value}.tenants.test'
      from: header
      name: X-Tenant
      pattern: '^[a-z]+'
      hosts: ['*.tenants.test']
${guard}`, { 'tenants.yaml': TENANT_DOC });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); await trap?.close(); });

  const get = async (path: string, tenant?: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: tenant === undefined ? {} : { 'x-tenant': tenant } });
    const text = await res.text();
    return { status: res.status, code: (JSON.parse(text || '{}') as { code?: string }).code, id: res.headers.get('x-request-id') };
  };

  test('a valid tenant reaches its own host (Host header and path kept)', async () => {
    const before = up.seen.length;
    const r = await get('/byheader/orders?x=1', 'acme');
    assert.equal(r.status, 200);
    const seen = up.seen[before]!;
    assert.equal(seen.headers.host, `acme.tenants.test:${up.port}`);
    assert.equal(seen.url, '/base/byheader/orders?x=1');
    assert.equal((await get('/bypath/tenants/acme/items')).status, 200);
  });

  test('attack: values that are not one DNS label (address spellings, dots, userinfo, too long, missing): 400 PCL_UPSTREAM_HOST_INVALID', async () => {
    const before = up.seen.length;
    for (const v of ['0177.0.0.1', '0x7f.1', '127.0.0.1', 'acme.evil.example', 'evil.example#', 'a@evil.example', '[::1]', 'ACME', 'a'.repeat(64), '-acme']) {
      const r = await get('/byheader/x', v);
      assert.deepEqual([r.status, r.code], [400, 'PCL_UPSTREAM_HOST_INVALID'], v);
    }
    assert.deepEqual([(await get('/byheader/x')).status, (await get('/byheader/x')).code], [400, 'PCL_UPSTREAM_HOST_INVALID']);
    assert.deepEqual(Object.values(await get('/bypath/tenants/0x7f000001/items')).slice(0, 2), [403, 'PCL_UPSTREAM_HOST_REFUSED'], 'valid label, but not in hosts');
    assert.equal(up.seen.length, before);
  });

  test('attack: names resolving to cloud metadata (also IPv4-mapped) or to loopback + private (rebinding): 403 PCL_UPSTREAM_HOST_REFUSED, a high event', async () => {
    const before = up.seen.length;
    for (const t of ['meta', 'rebind', 'mapped']) {
      const r = await get('/byheader/x', t);
      assert.deepEqual([r.status, r.code], [403, 'PCL_UPSTREAM_HOST_REFUSED'], t);
    }
    const r = await get('/bypath/tenants/meta/items');
    assert.deepEqual([r.status, r.code], [403, 'PCL_UPSTREAM_HOST_REFUSED']);
    assert.equal(up.seen.length, before);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.reqId === r.id);
    assert.deepEqual([event.event, event.severity], ['upstream.host_refused', 'high']);
  });

  test('attack: a pattern written without $ still has to match the whole value (acme.meta is not acme)', async () => {
    const before = up.seen.length;
    assert.equal((await get('/loose/x', 'acme')).status, 200);
    for (const v of ['acme.meta', 'acme-x', 'acme:1']) {
      const r = await get('/loose/x', v);
      assert.deepEqual([r.status, r.code], [400, 'PCL_UPSTREAM_HOST_INVALID'], v);
    }
    assert.equal(up.seen.length, before + 1);
  });

  test('attack: a tenant backend redirecting to the metadata path: the 302 goes back to the client, the gateway follows nothing', async () => {
    const res = await fetch(`${gw.url}/byheader/redirect`, { headers: { 'x-tenant': 'acme' }, redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `http://127.0.0.1:${trap.port}/latest/meta-data/`);
    assert.equal(trap.seen.length, 0, 'the ingress proxy never follows redirects');
  });

  test('config: path needs a document, a bad resolve address and a bad template are located', async () => {
    const bad = (template: string) => writeConfig(`${E2E_PREAMBLE}apis:
  - name: bad
    upstream: http://x.tenants.test
    prefixes: [/bad]
    upstreamHost:
      template: '${template}'
      from: path
      name: t
      hosts: ['*.tenants.test']
    addressGuard:
      resolve:
        a.tenants.test: [nope]
`).file;
    const r = await runCli(['validate', '-c', bad('tenant.{value}/evil')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[0\]\.upstreamHost\.template: /);
    const r2 = await runCli(['validate', '-c', bad('{value}.tenants.test')]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /portcullis\.yaml:\d+ apis\[0\]\.upstreamHost\.from: path needs an API with an OpenAPI document/);
    assert.match(r2.stderr, /portcullis\.yaml:\d+ apis\[0\]\.addressGuard\.resolve\["a\.tenants\.test"\]\[0\]: "nope" is not an IP address/);
  });
});
