import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../../test/helpers/gateway.js';
import { startDemoUpstream, type DemoUpstream } from './upstream.js';
import { findPackageRoot } from '../../src/util/package-root.js';

// Every curl line the quickstart banner prints, checked against the real gateway process.
// The config is the quickstart's own, with ports set to 0 and the upstream moved to the
// test's demo instance, so the example cannot drift from what is tested.

const dir = join(findPackageRoot(import.meta.url), 'examples', 'quickstart');

function raw(url: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  // fetch would normalise "/../"; the traversal case must reach the gateway as typed (curl --path-as-is).
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('quickstart through the gateway', () => {
  let up: DemoUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startDemoUpstream(0);
    const cfg = parse(readFileSync(join(dir, 'portcullis.yaml'), 'utf8')) as {
      server: { port: number; host?: string }; admin: { port: number }; watch?: boolean;
      apis: { upstream: string; openapi: string }[];
    };
    cfg.server.port = 0;
    cfg.server.host = '127.0.0.1';
    cfg.admin.port = 0;
    cfg.watch = false;
    cfg.apis[0]!.upstream = `http://127.0.0.1:${up.port}`;
    cfg.apis[0]!.openapi = join(dir, 'openapi.yaml');
    gw = await startGatewayProcess(writeConfig(stringify(cfg)).file);
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('passes a documented GET and strips the upstream fingerprint headers', async () => {
    const res = await fetch(`${gw.url}/v1/books`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('server'), null);
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const books = await res.json() as { id: string }[];
    assert.ok(books.some((b) => b.id === '1'));
  });

  it('creates a book through the gateway', async () => {
    const res = await fetch(`${gw.url}/v1/books`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Dune', author: 'Frank Herbert' }),
    });
    assert.equal(res.status, 201);
    assert.equal((await res.json() as { title: string }).title, 'Dune');
  });

  it('hides the undocumented admin endpoint: 404 problem+json, no user data', async () => {
    const res = await fetch(`${gw.url}/v1/admin/users`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const text = await res.text();
    assert.ok(!text.includes('bookstore.example'));
    assert.equal((JSON.parse(text) as { status: number }).status, 404);
  });

  it('answers a method the document does not declare with 405 and Allow', async () => {
    const res = await fetch(`${gw.url}/v1/books/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 405);
    const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim()).sort();
    assert.ok(allow.includes('GET') && allow.includes('DELETE'), `Allow: ${allow.join(', ')}`);
    assert.ok(!allow.includes('PUT'));
    await res.body?.cancel();
  });

  it('never forwards a path traversal towards the admin endpoint', async () => {
    for (const path of ['/v1/books/../admin/users', '/v1/books/%2e%2e/admin/users', '/v1/books/..%2fadmin%2fusers']) {
      const res = await raw(gw.url, path);
      assert.ok(res.status === 400 || res.status === 404, `${path} → ${res.status}`);
      assert.ok(!res.body.includes('bookstore.example'), `${path} leaked admin data`);
    }
  });

  it('rejects a body over the 64 KiB limit with 413', async () => {
    const res = await fetch(`${gw.url}/v1/books`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x'.repeat(70_000), author: 'a' }),
    });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    await res.body?.cancel();
  });

  it('answers a CORS preflight for the allowed origin only', async () => {
    const ok = await fetch(`${gw.url}/v1/books`, {
      method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    await ok.body?.cancel();
    const evil = await fetch(`${gw.url}/v1/books`, {
      method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    await evil.body?.cancel();
  });

  it('serves metrics and readiness on the admin listener', async () => {
    const ready = await fetch(`${gw.adminUrl}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    const metrics = await fetch(`${gw.adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^# (HELP|TYPE) /m);
  });
});
