import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../config/load.js';
import { ModeSchema, OnErrorSchema } from '../config/common.js';
import { GatewayError } from '../errors/index.js';
import { createBuiltinRegistry } from '../pipeline/builtins.js';
import { CONTINUE, type StageFactory } from '../pipeline/stage.js';
import { compileRuntime } from '../runtime/compile.js';
import type { Runtime } from '../runtime/runtime.js';
import { createRequestHandler } from './request-handler.js';

// A stage used only here: it rejects when the request carries `x-deny`, and can read the body.
const ProbeSchema = Type.Object({ mode: ModeSchema, onError: OnErrorSchema, readBody: Type.Boolean({ default: false }), explode: Type.Boolean({ default: false }) }, { additionalProperties: false });
const seenBodies: string[] = [];
const probe: StageFactory<{ mode: 'off' | 'monitor' | 'enforce'; onError: 'fail-closed' | 'fail-open'; readBody: boolean; explode: boolean }> = {
  meta: { name: 'probe', phases: ['inspect'], order: 500, status: 'experimental', posture: 'test only' },
  schema: ProbeSchema,
  create: (cfg, deps) => ({
    name: 'probe', order: 500, mode: cfg.mode, onError: cfg.onError, needsRequestBody: cfg.readBody,
    handlers: {
      inspect: (ctx) => {
        if (cfg.explode) throw new Error('internal detail that must not leak');
        if (cfg.readBody) seenBodies.push(ctx.body?.toString() ?? '<none>');
        if (ctx.headers['x-deny'] !== undefined) {
          return { kind: 'reject', error: new GatewayError('PCL_BAD_REQUEST', { stage: 'probe', detail: `denied by probe on ${deps.operationId ?? '?'}` }) };
        }
        ctx.responseHeaders['x-probe-op'] = String(ctx.route.operationId);
        ctx.responseHeaders['x-probe-params'] = JSON.stringify(ctx.route.params);
        return CONTINUE;
      },
    },
  }),
};

const DOC = `openapi: 3.1.0
info: { title: t, version: '1' }
paths:
  /items/{id}:
    get: { operationId: getItem, tags: [read], responses: { '200': { description: ok } } }
    put: { operationId: putItem, tags: [write], responses: { '200': { description: ok } } }
  /items:
    post: { operationId: addItem, tags: [write], responses: { '200': { description: ok } } }
  /boom:
    get: { operationId: boom, responses: { '200': { description: ok } } }
`;

describe('request handler, in process', () => {
  let upstream: http.Server;
  let gateway: http.Server;
  let base: string;
  let runtime: Runtime;
  const forwarded: { url: string; body: string }[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { forwarded.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString() }); res.end('ok'); });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'pcl-inproc-'));
    writeFileSync(join(dir, 'doc.yaml'), DOC);
    writeFileSync(join(dir, 'portcullis.yaml'), `apis:
  - name: items
    upstream: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    openapi: ./doc.yaml
    stages:
      probe: {}
    operations:
      tag:write:
        stages:
          probe: { mode: monitor, readBody: true }
      putItem:
        stages:
          probe: { mode: enforce }
      boom:
        stages:
          probe: { explode: true }
`);
    const registry = createBuiltinRegistry();
    registry.register(probe);
    runtime = await compileRuntime(await loadConfig(join(dir, 'portcullis.yaml')), registry);
    gateway = http.createServer(createRequestHandler(() => runtime, { tls: false }));
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });
  after(async () => {
    gateway.closeAllConnections();
    upstream.closeAllConnections();
    await new Promise((r) => gateway.close(r));
    await new Promise((r) => upstream.close(r));
    await runtime.close();
  });

  test('the matched operation and its path parameters reach the stages', async () => {
    const res = await fetch(`${base}/items/a%20b`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-probe-op'), 'getItem');
    assert.deepEqual(JSON.parse(res.headers.get('x-probe-params')!), { id: 'a b' });
  });

  test('an API-level stage rejects in enforce mode with its status, code and generic detail', async () => {
    const res = await fetch(`${base}/items/1`, { headers: { 'x-deny': '1' } });
    assert.equal(res.status, 400);
    const p = await res.json() as { code: string; detail: string };
    assert.equal(p.code, 'PCL_BAD_REQUEST');
    assert.equal(p.detail, 'denied by probe on getItem');
  });

  test('a tag override switches the stage to monitor: the request passes', async () => {
    const before = forwarded.length;
    const res = await fetch(`${base}/items`, { method: 'POST', body: 'payload', headers: { 'x-deny': '1' } });
    assert.equal(res.status, 200);
    assert.equal(forwarded.length, before + 1);
    assert.equal(forwarded.at(-1)!.body, 'payload');
  });

  test('an operationId override wins over the tag override (enforce again), and is merged with it', async () => {
    const res = await fetch(`${base}/items/1`, { method: 'PUT', body: 'x', headers: { 'x-deny': '1' } });
    assert.equal(res.status, 400);
    assert.equal(seenBodies.at(-1), 'x', 'readBody from the tag override still applies');
  });

  test('a stage that needs the body gets it buffered, and the upstream still receives it', async () => {
    const res = await fetch(`${base}/items`, { method: 'POST', body: 'hello body' });
    assert.equal(res.status, 200);
    assert.equal(seenBodies.at(-1), 'hello body');
    assert.equal(forwarded.at(-1)!.body, 'hello body');
  });

  test('a stage that throws fails closed with 500 PCL_STAGE_FAILED and no internals', async () => {
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.equal(JSON.parse(text).code, 'PCL_STAGE_FAILED');
    assert.doesNotMatch(text, /internal detail/);
  });

  test('the router sees the compiled routes, and the runtime is frozen', () => {
    assert.equal(runtime.routes.length, 4);
    assert.ok(Object.isFrozen(runtime));
    assert.ok(Object.isFrozen(runtime.config));
  });
});
