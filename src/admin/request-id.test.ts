import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CHANNELS, type AdminActionMessage, type SecurityEventMessage } from '../observability/channels.js';
import type { Runtime } from '../runtime/runtime.js';
import { MemoryStore } from '../store/index.js';
import { createAdminApi } from './api.js';
import { PROXY_HEADERS } from './cluster-proxy.js';
import { createAdminHandler } from './handler.js';

const TOKEN = 'admin-token-for-request-id-tests-0123';
const SECRET = 'proxy-secret-for-request-id-tests';

describe('admin listener: one request id per call (issue 12, 3b)', () => {
  const store = new MemoryStore();
  const events: SecurityEventMessage[] = [];
  const actions: AdminActionMessage[] = [];
  const onEvent = (m: unknown) => { if ((m as SecurityEventMessage).api === 'admin') events.push(m as SecurityEventMessage); };
  const onAction = (m: unknown) => { actions.push(m as AdminActionMessage); };
  let server: http.Server;
  let base: string;
  before(async () => {
    diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
    diagnostics_channel.subscribe(CHANNELS.adminAction, onAction);
    const runtime = { generation: 1, apis: [], routes: [] } as unknown as Runtime;
    const routes = createAdminApi({ token: TOKEN, mtls: false, proxySecret: SECRET }, { runtime: () => runtime, reload: async () => true, startedAt: Date.now(), version: 't', store });
    server = http.createServer(createAdminHandler({ metrics: async () => ({ contentType: 'text/plain', body: '' }), health: () => ({ live: true, ready: true }), routes }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
    diagnostics_channel.unsubscribe(CHANNELS.adminAction, onAction);
    await new Promise((r) => server.close(r));
    await store.close();
  });

  /** Makes one call; returns the header id, the problem's instance (if any) and the ids the call published. */
  async function ids(path: string, init: RequestInit): Promise<{ status: number; header: string; instance: string | undefined; event: string[]; action: string[] }> {
    events.length = 0;
    actions.length = 0;
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    const instance = res.headers.get('content-type')?.includes('problem+json') === true ? (JSON.parse(text) as { instance: string }).instance : undefined;
    return { status: res.status, header: res.headers.get('x-request-id') ?? '', instance, event: events.map((e) => e.requestId), action: actions.map((a) => a.requestId) };
  }

  test('a refused call (401): header, instance and audited event carry the same id', async () => {
    const r = await ids('/admin/status', {});
    assert.equal(r.status, 401);
    assert.match(r.header, /^[0-9a-f-]{36}$/);
    assert.equal(r.instance, `urn:request:${r.header}`);
    assert.deepEqual(r.event, [r.header]);
    assert.deepEqual(r.action, [r.header]);
  });

  test('a call refused by its handler (400): the same id everywhere', async () => {
    const r = await ids('/admin/revocations', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"kind":"jti"}' });
    assert.equal(r.status, 400);
    assert.equal(r.instance, `urn:request:${r.header}`);
    assert.deepEqual(r.event, [r.header]);
  });

  test('an allowed change (201): the audited event carries the header id', async () => {
    const r = await ids('/admin/revocations', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"kind":"jti","value":"t-1","ttlSeconds":60}' });
    assert.equal(r.status, 201);
    assert.deepEqual(r.event, [r.header]);
    assert.deepEqual(r.action, [r.header]);
  });

  test('a call forwarded by the --workers primary keeps the primary id; a forged forward does not', async () => {
    const fwd = await ids('/admin/status', { headers: { authorization: `Bearer ${TOKEN}`, [PROXY_HEADERS.secret]: SECRET, [PROXY_HEADERS.requestId]: 'primary-id-1' } });
    assert.equal(fwd.status, 200);
    assert.equal(fwd.header, 'primary-id-1');
    assert.deepEqual(fwd.event, ['primary-id-1']);
    const forged = await ids('/admin/status', { headers: { authorization: `Bearer ${TOKEN}`, [PROXY_HEADERS.secret]: 'wrong', [PROXY_HEADERS.requestId]: 'chosen-by-attacker' } });
    assert.equal(forged.status, 200);
    assert.notEqual(forged.header, 'chosen-by-attacker');
    assert.deepEqual(forged.event, [forged.header]);
  });
});
