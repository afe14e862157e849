import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { E2E_PREAMBLE } from '../helpers/config.js';

const LEAKY = { id: 1, name: 'lamp', password: 'hunter2', internalCost: 3.5, secret: 'for admins' };
const BIG_NOTE = 'n'.repeat(10_000);

/** Chunked (no Content-Length): the gateway learns the size only by reading. */
function chunked(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const mid = Math.floor(text.length / 2);
  res.write(text.slice(0, mid));
  setTimeout(() => res.end(text.slice(mid)), 5);
}

describe('response-filter with buffered response bodies, through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream((req, res) => {
      const [path, query] = (req.url ?? '').split('?');
      const id = path!.split('/').pop();
      const leaky = JSON.stringify(LEAKY);
      if (id === 'items' && query === 'big=1') chunked(res, JSON.stringify([{ ...LEAKY, note: BIG_NOTE }]));
      else if (id === 'items') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([LEAKY, { ...LEAKY, id: 2 }]));
      } else if (id === '2') chunked(res, leaky);
      else if (id === '3') chunked(res, JSON.stringify({ ...LEAKY, note: BIG_NOTE }));
      else if (id === '4') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...LEAKY, note: BIG_NOTE }));
      } else if (id === '6') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 6, name: 'lamp', secret: 'for admins' }));
      } else if (id === '5') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'not-a-number', name: 'x' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(leaky);
      }
    });
    const shop = readFileSync(fixture('validation', 'shop-3.1.yaml'), 'utf8');
    const yaml = `${E2E_PREAMBLE}apis:
  - name: filtered
    upstream: ${up.url}
    openapi: ./shop.yaml
    stages:
      response-filter: { action: filter, maxBodySize: 4096 }
    operations:
      listItems:
        stages:
          response-filter: { action: filter, maxBodySize: 4096, oversize: report }
  - name: blocked
    upstream: ${up.url}
    openapi: ./shop2.yaml
    stages:
      response-filter: { action: block, maxBodySize: 4096 }
`;
    const { file } = writeConfig(yaml, { 'shop.yaml': shop, 'shop2.yaml': shop.replace('url: /v1', 'url: /v2') });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { headers });
    return { res, text: await res.text() };
  };

  test('undeclared, writeOnly and role-restricted properties are removed (Content-Length body)', async () => {
    const { res, text } = await get('/v1/items/1');
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), { id: 1, name: 'lamp' });
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
  });

  test('a chunked body is collected and filtered the same way', async () => {
    const { res, text } = await get('/v1/items/2');
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), { id: 1, name: 'lamp' });
  });

  test('every element of a list is filtered', async () => {
    const { res, text } = await get('/v1/items');
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), [{ id: 1, name: 'lamp' }, { id: 2, name: 'lamp' }]);
  });

  test('the upstream is asked for an uncompressed body even when the client accepts gzip', async () => {
    const before = up.seen.length;
    const { res } = await get('/v1/items/1', { 'accept-encoding': 'gzip, br' });
    assert.equal(res.status, 200);
    assert.equal(up.seen[before]?.headers['accept-encoding'], 'identity');
  });

  test('an oversize chunked body is blocked (the default oversize policy), never passed unfiltered', async () => {
    const { res, text } = await get('/v1/items/3');
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(text).code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
    assert.ok(!text.includes('hunter2'));
  });

  test('an oversize body announced by Content-Length is blocked before it is read', async () => {
    const { res, text } = await get('/v1/items/4');
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(text).code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
  });

  test('oversize: report streams the whole body through unchanged', async () => {
    const { res, text } = await get('/v1/items?big=1');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(text), [{ ...LEAKY, note: BIG_NOTE }]);
  });

  test('block mode still hides a role-restricted property from a caller without the role', async () => {
    const { res, text } = await get('/v2/items/6');
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), { id: 6, name: 'lamp' });
    assert.ok(!text.includes('for admins'));
  });

  test('block mode: an exposed property or a schema violation replaces the response with 502', async () => {
    for (const id of ['1', '5']) {
      const { res, text } = await get(`/v2/items/${id}`);
      assert.equal(res.status, 502, `item ${id}: ${text}`);
      assert.equal(JSON.parse(text).code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
      assert.ok(!text.includes('hunter2'));
    }
  });
});
