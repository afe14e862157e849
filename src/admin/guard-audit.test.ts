import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { auditCommitHook } from '../observability/audit/commit.js';
import { CHANNELS } from '../observability/channels.js';
import type { Runtime } from '../runtime/runtime.js';
import { isRevoked } from '../stages/authn/revocation.js';
import { MemoryStore } from '../store/index.js';
import { createAdminApi } from './api.js';
import { adminGuard } from './guard.js';
import { createAdminHandler } from './handler.js';
import { createInsightApi, type InsightSources } from './insight-api.js';

const TOKEN = 'admin-token-for-guard-audit-tests-01';
const store = new MemoryStore();
let commit: () => Promise<unknown> = async () => 1;
const seen: string[] = [];
// Stands in for the audit subscriber: hands the guard the outcome of the record's commit.
const onEvent = (m: unknown) => {
  const hook = auditCommitHook(m);
  seen.push(`${(m as { kind: string }).kind}:${hook === undefined ? 'batch' : 'commit'}`);
  hook?.(commit());
};
let server: http.Server;
let base: string;
before(async () => {
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  const routes = createAdminApi(TOKEN, { runtime: () => ({ generation: 1, apis: [], routes: [] }) as unknown as Runtime, reload: async () => true, startedAt: Date.now(), version: 't', store });
  server = http.createServer(createAdminHandler({ metrics: async () => ({ contentType: 'text/plain', body: '' }), health: () => ({ live: true, ready: true }), routes }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
  await new Promise((r) => server.close(r));
  await store.close();
});

const revoke = (value: string) => fetch(`${base}/admin/revocations`, {
  method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'jti', value, ttlSeconds: 60 }),
});

test('an admin change waits for its audit commit; reads and refusals take the batch path', async () => {
  seen.length = 0;
  assert.equal((await revoke('ok-1')).status, 201);
  assert.equal((await fetch(`${base}/admin/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  assert.equal((await fetch(`${base}/admin/status`)).status, 401);
  assert.deepEqual(seen, ['admin.action:commit', 'admin.read:batch', 'admin.denied:batch']);
  assert.equal(await isRevoked(store, { jti: 'ok-1' }), true);
});

test('when the audit record cannot be committed the change is not made: 503 PCL_ADMIN_AUDIT_UNAVAILABLE', async () => {
  commit = () => Promise.reject(new Error('audit store down'));
  try {
    const res = await revoke('not-recorded');
    assert.equal(res.status, 503);
    const body = await res.json() as { code: string; instance: string };
    assert.equal(body.code, 'PCL_ADMIN_AUDIT_UNAVAILABLE');
    assert.equal(body.instance, `urn:request:${res.headers.get('x-request-id')}`);
    assert.equal(await isRevoked(store, { jti: 'not-recorded' }), false);
  } finally {
    commit = async () => 1;
  }
});

test('every change the admin API offers (reload, revocations, penalty lifts, TOTP enrolment) waits for its audit commit: none is made when it fails', async (t) => {
  // Every route the gateway mounts that changes something; the handlers never run, so their sources can be empty.
  const routes = [
    ...createAdminApi(TOKEN, { runtime: () => ({ generation: 1, apis: [], routes: [] }) as unknown as Runtime, reload: async () => { throw new Error('reload ran'); }, startedAt: Date.now(), version: 't', store }),
    ...createInsightApi(adminGuard({ token: TOKEN, mtls: false }), { store, runtime: () => { throw new Error('handler ran'); } } as unknown as InsightSources),
  ];
  const changes = routes.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual(changes, ['DELETE /admin/penalties', 'DELETE /admin/revocations', 'DELETE /admin/totp', 'POST /admin/reload', 'POST /admin/revocations', 'POST /admin/totp'],
    'a new change route must be added here (and so to the write-ahead check)');
  const all = http.createServer(createAdminHandler({ metrics: async () => ({ contentType: 'text/plain', body: '' }), health: () => ({ live: true, ready: true }), routes }));
  await new Promise<void>((r) => all.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => all.close(r)));
  const url = `http://127.0.0.1:${(all.address() as AddressInfo).port}`;
  commit = () => Promise.reject(new Error('audit store down'));
  try {
    for (const change of changes) {
      const [method, path] = change.split(' ') as [string, string];
      seen.length = 0;
      const res = await fetch(`${url}${path}${path.endsWith('totp') ? '/alice' : ''}`, {
        method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'jti', value: 'x', scope: 'ip:203.0.113.9', api: 'books' }),
      });
      assert.equal(res.status, 503, change);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_ADMIN_AUDIT_UNAVAILABLE', change);
      assert.deepEqual(seen, ['admin.action:commit'], change);
    }
  } finally {
    commit = async () => 1;
  }
});
