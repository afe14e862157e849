import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

/** Two versions of one API at the same base path, each its own document. */
const doc = (version: string, extra: string) => `openapi: 3.0.3
info: { title: shop, version: '${version}' }
servers: [{ url: https://shop.example/shop }]
paths:
  /orders:
    get:
      operationId: listOrdersV${version}
      responses: { '200': { description: ok } }
${extra}`;

const V1 = doc('1', `  /legacy-report:
    get:
      operationId: legacyReport
      responses: { '200': { description: ok } }
`);
const V2 = doc('2', `  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses: { '200': { description: ok } }
`);

describe('API versions selected by a request header (Api-Version), each with its own document', () => {
  let up1: FakeUpstream;
  let up2: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up1 = await startUpstream();
    up2 = await startUpstream();
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: shop-v2
    upstream: ${up2.url}
    openapi: ./v2.yaml
    version:
      value: '2'
      default: true
  - name: shop-v1
    upstream: ${up1.url}
    openapi: ./v1.yaml
    version:
      value: '1'
    stages:
      lifecycle:
        deprecatedAt: '2026-01-01'
        sunsetAt: '2030-01-01'
  - name: other
    upstream: ${up1.url}
    prefixes: [/other]
`, { 'v1.yaml': V1, 'v2.yaml': V2 });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up1?.close(); await up2?.close(); });

  test('the header picks the version (and its upstream, stages and document); no header: the default', async () => {
    const v1 = await fetch(`${gw.url}/shop/orders`, { headers: { 'api-version': '1' } });
    assert.equal(v1.status, 200);
    assert.equal(up1.seen.at(-1)!.url, '/shop/orders');
    assert.match(v1.headers.get('deprecation') ?? '', /^@\d+$/, 'v1 carries its own lifecycle');
    assert.match(v1.headers.get('vary') ?? '', /Api-Version/i);
    const before2 = up2.seen.length;
    const v2 = await fetch(`${gw.url}/shop/orders`, { headers: { 'api-version': '2' } });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('deprecation'), null);
    const dflt = await fetch(`${gw.url}/shop/orders`);
    assert.equal(dflt.status, 200);
    assert.equal(up2.seen.length, before2 + 2);
  });

  test('each version routes only its own document: v2-only and v1-only operations', async () => {
    assert.equal((await fetch(`${gw.url}/shop/orders/7`, { headers: { 'api-version': '2' } })).status, 200);
    const missing = await fetch(`${gw.url}/shop/orders/7`, { headers: { 'api-version': '1' } });
    assert.equal(missing.status, 404);
    assert.equal((await missing.json() as { code: string }).code, 'PCL_ROUTE_NOT_FOUND');
    assert.equal((await fetch(`${gw.url}/shop/legacy-report`, { headers: { 'api-version': '1' } })).status, 200);
    assert.equal((await fetch(`${gw.url}/shop/legacy-report`)).status, 404, 'the default (v2) does not have it');
  });

  test('an unknown version: 400 PCL_API_VERSION_UNKNOWN naming the versions; paths outside the group are unaffected', async () => {
    const before = up1.seen.length + up2.seen.length;
    for (const v of ['3', '1 OR 1=1', '../1']) {
      const res = await fetch(`${gw.url}/shop/orders`, { headers: { 'api-version': v } });
      assert.equal(res.status, 400, v);
      const body = await res.json() as { code: string; detail: string };
      assert.equal(body.code, 'PCL_API_VERSION_UNKNOWN');
      assert.match(body.detail, /Api-Version with one of: 2, 1/);
    }
    assert.equal(up1.seen.length + up2.seen.length, before);
    assert.equal((await fetch(`${gw.url}/other/x`, { headers: { 'api-version': '9' } })).status, 200);
  });

  test('config: two defaults for one header are located', async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: a
    upstream: http://127.0.0.1:1
    prefixes: [/x]
    version: { value: '1', default: true }
  - name: b
    upstream: http://127.0.0.1:1
    prefixes: [/x/y]
    version: { value: '2', default: true }
`);
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[1\]\.version: Api-Version: both "1" and "2" are marked default/);
  });
});
