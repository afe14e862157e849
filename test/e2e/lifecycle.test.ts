import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'lifecycle-admin-token-0123456789abcdef';

function config(upstream: string): { dir: string; file: string } {
  const yaml = `${E2E_PREAMBLE.replace('admin:\n  port: 0\n', `admin:\n  port: 0\n  token: ${TOKEN}\n`)}apis:
  - name: shop-v1
    upstream: ${upstream}
    openapi: ./shop-v1.yaml
    stages:
      lifecycle:
        link: https://developer.shop.example/deprecations/v1
        sunsetLink: https://developer.shop.example/sunset-policy
    operations:
      reportV1:
        stages:
          lifecycle:
            graceSeconds: 2000000000
  - name: shop-v0
    upstream: ${upstream}
    openapi: ./shop-v0.yaml
    stages:
      lifecycle:
        deprecatedAt: '2024-01-01'
        sunsetAt: '2025-01-01'
  - name: shop-v0-watch
    upstream: ${upstream}
    openapi: ./shop-v0.yaml
    basePath: /v0-watch
    stages:
      lifecycle:
        mode: monitor
        deprecatedAt: '2024-01-01'
        sunsetAt: '2025-01-01'
`;
  return writeConfig(yaml, {
    'shop-v1.yaml': readFileSync(fixture('lifecycle', 'shop-v1.yaml'), 'utf8'),
    'shop-v0.yaml': readFileSync(fixture('lifecycle', 'shop-v0.yaml'), 'utf8'),
  });
}

describe('API lifecycle: deprecation (RFC 9745), sunset (RFC 8594), retirement (410) and who still calls', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let file: string;
  before(async () => {
    up = await startUpstream();
    file = config(up.url).file;
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('an operation marked deprecated in the document announces its dates and links without any per-operation config', async () => {
    const res = await fetch(`${gw.url}/v1/orders`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('deprecation'), `@${Date.UTC(2026, 0, 1) / 1000}`);
    assert.equal(res.headers.get('sunset'), 'Tue, 01 Jan 2030 00:00:00 GMT');
    assert.equal(res.headers.get('link'), '<https://developer.shop.example/deprecations/v1>; rel="deprecation"; type="text/html", <https://developer.shop.example/sunset-policy>; rel="sunset"; type="text/html"');
  });

  test('an operation that is not deprecated carries none of the headers', async () => {
    const res = await fetch(`${gw.url}/v1/health`);
    assert.equal(res.status, 200);
    for (const h of ['deprecation', 'sunset']) assert.equal(res.headers.get(h), null, h);
  });

  test('deprecated without a date: no Deprecation field (RFC 9745 needs a date), a load warning with file:line, still served', async () => {
    const res = await fetch(`${gw.url}/v1/orders/7`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('deprecation'), null);
    const warning = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config warning') && l.msg.includes('getOrderV1'));
    assert.equal(typeof warning.line, 'number');
    const v = await runCli(['validate', '-c', file]);
    assert.equal(v.code, 0);
    assert.match(v.stderr, /warning: .*portcullis\.yaml:\d+ apis\[0\]\.openapi: getOrderV1 is deprecated .* x-deprecated-at/);
  });

  test('attack on a retired operation: 410 PCL_GONE problem+json with Sunset, the upstream never sees it, a lifecycle.gone event', async () => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/v1/export`);
    assert.equal(res.status, 410);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = await res.json() as { code: string; detail: string; instance: string };
    assert.equal(body.code, 'PCL_GONE');
    assert.match(body.detail, /retired on Wed, 01 Jan 2020/);
    assert.equal(res.headers.get('sunset'), 'Wed, 01 Jan 2020 00:00:00 GMT');
    assert.equal(up.seen.length, before);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'lifecycle.gone');
    assert.equal(event.operation, 'exportV1');
  });

  test('a whole version retired at API level answers 410 on every operation', async () => {
    const res = await fetch(`${gw.url}/v0/orders`);
    assert.equal(res.status, 410);
    assert.equal((await res.json() as { code: string }).code, 'PCL_GONE');
    assert.equal(res.headers.get('deprecation'), `@${Date.UTC(2024, 0, 1) / 1000}`);
  });

  test('mode: monitor serves a retired version (headers still sent) and records the decision as a not-enforced lifecycle.gone event', async () => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/v0-watch/orders`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('sunset'), 'Wed, 01 Jan 2025 00:00:00 GMT');
    assert.equal(up.seen.length, before + 1);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'lifecycle.gone' && l.api === 'shop-v0-watch');
    assert.equal(event.enforced, false);
  });

  test('graceSeconds keeps a sunset operation served, with its headers, until the grace ends', async () => {
    const res = await fetch(`${gw.url}/v1/report`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('sunset'), 'Wed, 01 Jan 2020 00:00:00 GMT');
  });

  test('owners see who still calls deprecated operations: GET /admin/deprecations and a metric with bounded client labels', async () => {
    for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}/v1/orders`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).arrayBuffer();
    const res = await fetch(`${gw.adminUrl}/admin/deprecations`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const { operations } = await res.json() as { operations: { api: string; operation: string; state: string; calls: number; clients: { key: string; count: number }[] }[] };
    const list = operations.find((o) => o.operation === 'listOrdersV1');
    assert.ok(list, JSON.stringify(operations));
    assert.equal(list.api, 'shop-v1');
    assert.equal(list.state, 'deprecated');
    assert.ok(list.calls >= 4);
    assert.ok(list.clients.some((c) => c.count >= 1), JSON.stringify(list.clients));
    const retired = operations.find((o) => o.operation === 'exportV1');
    assert.equal(retired?.state, 'retired');
    assert.equal(operations.some((o) => o.operation === 'healthV1'), false);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_deprecated_calls_total\{api="shop-v1",operation="listOrdersV1",state="deprecated",client="[^"]+"\} \d+/);
    const unauth = await fetch(`${gw.adminUrl}/admin/deprecations`);
    assert.equal(unauth.status, 401);
  });

  test('a bad query to GET /admin/deprecations is 400 PCL_BAD_REQUEST, not a default answer', async () => {
    for (const q of ['clients=0', 'clients=-1', 'clients=abc', 'clients=1&clients=2']) {
      const res = await fetch(`${gw.adminUrl}/admin/deprecations?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 400, q);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_BAD_REQUEST', q);
    }
    assert.equal((await fetch(`${gw.adminUrl}/admin/deprecations?clients=3`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });
});

describe('API lifecycle: config errors', () => {
  test('an impossible date and a sunset before the deprecation are reported with file:line', async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: a
    upstream: http://127.0.0.1:1
    prefixes: [/a]
    stages:
      lifecycle:
        sunsetAt: '2027-02-31'
  - name: b
    upstream: http://127.0.0.1:1
    prefixes: [/b]
    stages:
      lifecycle:
        deprecatedAt: '2027-05-01'
        sunsetAt: '2027-01-01'
  - name: c
    upstream: http://127.0.0.1:1
    prefixes: [/c]
    stages:
      lifecycle:
        sunsetAt: 'next tuesday'
`);
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[0\]\.stages\.lifecycle\.sunsetAt: "2027-02-31" is not a valid date/);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[1\]\.stages\.lifecycle: sunsetAt is before deprecatedAt/);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[2\]\.stages\.lifecycle\.sunsetAt: must match pattern/);
  });
});
