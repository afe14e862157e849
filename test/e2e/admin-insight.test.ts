import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { makeCert } from '../helpers/certs.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'insight-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

function config(upstream: string, adminExtra = ''): { file: string } {
  return writeConfig(`${E2E_PREAMBLE.replace('admin:\n  port: 0\n', `admin:\n  port: 0\n  token: \${ADMIN_TOKEN}\n${adminExtra}`)}audit:
  enabled: true
  instance: insight-e2e
  flushIntervalMs: 5
apis:
  - name: books
    upstream: ${upstream}
    openapi: ./keys-books.yaml
    stages:
      authn:
        schemes:
          apiKey: { kind: api-key, file: ./keys.yaml, pepper: insight-e2e-pepper-0123456789-abcdef, reloadCheckMs: 0 }
      rate-limit:
        limits:
          - { name: burst, limit: 3, window: 1h, phase: pre-auth }
        penalty: { enabled: true, allowStrikes: 1, ladder: [1h] }
`, { 'keys-books.yaml': readFileSync(fixture('authn-keys', 'keys-books.yaml'), 'utf8'), 'keys.yaml': 'keys: []\n' });
}

interface AuditRecord { kind: string; reason?: string; client?: string; principal?: string; operationId?: string }
const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
  for (let i = 0; i < 100; i++) {
    const v = await get();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return get();
};

describe('admin insight API', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  const getJson = async <T>(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${gw.adminUrl}${path}`, { headers });
    return { status: res.status, body: await res.json() as T };
  };
  const audit = (q: string) => getJson<{ records: AuditRecord[] }>(`/admin/audit?${q}`).then((r) => r.body.records);

  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(config(up.url).file, { env: { ADMIN_TOKEN: TOKEN } });
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('calls without or with a wrong token get 401 and are audited (admin.denied)', async () => {
    const none = await getJson<{ code: string }>('/admin/stats', {});
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'PCL_AUTHN_REQUIRED');
    const wrong = await getJson<{ code: string }>('/admin/events', { authorization: 'Bearer wrong-token-wrong-token-wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'PCL_AUTHN_INVALID');
    const denied = await until(() => audit('kind=admin.denied'), (r) => r.length >= 2);
    assert.deepEqual(denied.map((r) => r.reason).sort(), ['events.view:invalid-credentials', 'stats.view:no-credentials']);
    assert.ok(denied.every((r) => r.client === '127.0.0.1' && r.principal === undefined));
    const allowed = await until(() => audit('kind=admin.read&operation=audit.search'), (r) => r.length >= 1);
    assert.equal(allowed[0]!.principal, 'admin-token');
  });

  test('audit search: injection attempts are searched for as text, never executed', async () => {
    const before = (await audit('limit=1000')).length;
    for (const text of [`' OR '1'='1`, '" OR 1=1 --', 'x"; DROP TABLE audit_records; --', 'NEAR(a b) OR *', 'a AND NOT b', '%_\\', 'admin.denied) OR (1']) {
      const r = await getJson<{ records: AuditRecord[] }>(`/admin/audit?text=${encodeURIComponent(text)}`);
      assert.equal(r.status, 200, text);
      assert.deepEqual(r.body.records, [], text);
    }
    for (const [k, v] of [['principal', `admin-token' OR '1'='1`], ['kind', '%'], ['client', '* OR 1']]) {
      const r = await getJson<{ records: AuditRecord[] }>(`/admin/audit?${k}=${encodeURIComponent(v!)}`);
      assert.deepEqual(r.body.records, [], `${k}=${v}`);
    }
    assert.ok((await audit('limit=1000')).length >= before, 'nothing was deleted');
    const verify = await getJson<{ ok: boolean; records: number }>('/admin/audit/verify');
    assert.equal(verify.body.ok, true);
  });

  test('bad query parameters are 400 PCL_BAD_REQUEST', async () => {
    for (const q of ['nope=1', 'since=yesterday', 'limit=-1', 'limit=1&limit=2', `text=${'a'.repeat(600)}`, 'kind=%00x']) {
      const r = await getJson<{ code: string }>(`/admin/audit?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, 'PCL_BAD_REQUEST', q);
    }
    assert.equal((await getJson<{ code: string }>('/admin/events?severity=extreme')).status, 400);
  });

  test('stats, events and penalties follow real traffic; lifting a penalty lets the client back in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${gw.url}/v1/health`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
    const stats = await getJson<{ totals: { requests: number; rejected: number }; rejections: { stage: string; code: string; count: number }[]; topClients: { key: string; count: number }[] }>('/admin/stats?seconds=60');
    assert.ok(stats.body.totals.requests >= 6);
    assert.ok(stats.body.rejections.some((r) => r.stage === 'rate-limit' && r.code.startsWith('PCL_RATE_LIMIT')));
    assert.equal(stats.body.topClients[0]?.key, '127.0.0.1');
    const events = await getJson<{ events: { kind: string; client: string }[] }>('/admin/events?kind=ratelimit*&client=127.0.0.1');
    assert.ok(events.body.events.length >= 3);
    assert.ok(events.body.events.every((e) => e.kind.startsWith('ratelimit.')));
    assert.deepEqual((await getJson<{ events: unknown[] }>('/admin/events?kind=ratelimit*&client=10.9.9.9')).body.events, []);
    const pen = await getJson<{ penalties: { scope: string; api: string; blocked: boolean }[] }>('/admin/penalties');
    assert.deepEqual(pen.body.penalties.map((p) => [p.scope, p.api, p.blocked]), [['ip.127.0.0.1', 'books', true]]);
    const bad = await fetch(`${gw.adminUrl}/admin/penalties`, { method: 'DELETE', headers: { ...auth, 'content-type': 'application/json' }, body: '{"scope":"}{","api":"books"}' });
    assert.equal(bad.status, 400);
    const lift = await fetch(`${gw.adminUrl}/admin/penalties`, { method: 'DELETE', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'ip.127.0.0.1', api: 'books' }) });
    assert.deepEqual(await lift.json(), { lifted: true, scope: 'ip.127.0.0.1', api: 'books' });
    assert.deepEqual((await getJson<{ penalties: unknown[] }>('/admin/penalties')).body.penalties, []);
    // Penalty gone; the window's limit still applies (3/h used), so the answer is now 429 PCL_RATE_LIMITED, not the penalty.
    const after = await fetch(`${gw.url}/v1/health`);
    assert.equal((await after.json() as { code: string }).code, 'PCL_RATE_LIMITED');
    const lifted = await until(() => audit('kind=admin.action'), (r) => r.length >= 1);
    assert.equal(lifted[0]!.operationId, 'penalty.lift');
  });

  test('APIs and their protections per operation', async () => {
    const apis = await getJson<{ name: string; operations: { operation: string; security: string[][]; stages: { name: string; mode: string }[] }[] }[]>('/admin/apis');
    const books = apis.body.find((a) => a.name === 'books')!;
    const list = books.operations.find((o) => o.operation === 'listBooks')!;
    assert.deepEqual(list.security, [['apiKey']]);
    assert.deepEqual(list.stages.map((s) => s.name), ['authn', 'rate-limit']);
    assert.deepEqual(books.operations.find((o) => o.operation === 'health')!.security, []);
  });
});

describe('admin API over mTLS', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  const server = makeCert('admin-server');
  const client = makeCert('admin-client', server.dir);
  const stranger = makeCert('stranger', server.dir);
  const call = (path: string, cert?: { cert: string; key: string }, headers: Record<string, string> = {}) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(`${gw.adminUrl}${path}`, {
      ca: readFileSync(server.cert), headers,
      ...(cert === undefined ? {} : { cert: readFileSync(cert.cert), key: readFileSync(cert.key) }),
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(config(up.url, `  tls:\n    cert: ${server.cert}\n    key: ${server.key}\n    clientCa: ${client.cert}\n`).file, { env: { ADMIN_TOKEN: TOKEN } });
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('a client certificate from the admin CA is enough; none or a stranger\'s gets 401; the token still works', async () => {
    assert.match(gw.adminUrl, /^https:/);
    const ok = await call('/admin/status', client);
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body).apis, ['books']);
    const none = await call('/admin/status');
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).code, 'PCL_AUTHN_REQUIRED');
    const foreign = await call('/admin/status', stranger);
    assert.equal(foreign.status, 401);
    assert.equal((await call('/admin/status', undefined, auth)).status, 200);
    const denied = await until(async () => JSON.parse((await call('/admin/audit?kind=admin.denied', client)).body) as { records: AuditRecord[] }, (r) => r.records.length >= 2);
    assert.ok(denied.records.length >= 2);
    const reads = JSON.parse((await call('/admin/audit?kind=admin.read&operation=status', client)).body) as { records: AuditRecord[] };
    assert.ok(reads.records.some((r) => /^cert:admin-client:/.test(r.principal ?? '')));
  });
});

describe('admin API with --workers', () => {
  test('the primary forwards the admin API and dashboard to a worker; forged proxy headers are refused and audited', async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    // Two workers on a busy two-core machine can take a while to start: a generous wait, not a timing assertion.
    const gw = await startGatewayProcess(config(up.url).file, { args: ['--workers', '2'], env: { ADMIN_TOKEN: TOKEN }, timeoutMs: 90_000 });
    t.after(() => gw.stop());
    const primary = await gw.waitForLog((l) => l.msg === 'portcullis primary started');
    const adminUrl = String(primary.admin);
    const status = await until(() => fetch(`${adminUrl}/admin/status`, { headers: auth }), (r) => r.status === 200);
    assert.equal(status.status, 200);
    const body = await status.json() as { pid: number; apis: string[] };
    assert.deepEqual(body.apis, ['books']);
    assert.notEqual(body.pid, gw.child.pid, 'answered by a worker, not the primary');
    const page = await fetch(`${adminUrl}/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    // A caller cannot pose as the primary: a forged proxy header is stripped and the call is refused.
    const forged = await fetch(`${adminUrl}/admin/status`, { headers: { 'x-portcullis-admin-proxy': 'guess', 'x-portcullis-admin-cert': 'cert:x:y' } });
    assert.equal(forged.status, 401);
    const denied = await until(async () => (await (await fetch(`${adminUrl}/admin/audit?kind=admin.denied`, { headers: auth })).json() as { records: AuditRecord[] }).records, (r) => r.length >= 1);
    assert.equal(denied[0]!.client, '127.0.0.1');
    assert.equal((await fetch(`${adminUrl}/admin/nope`, { headers: auth })).status, 404);
  });
});
