import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startNotesUpstream, type NotesUpstream } from '../../examples/multi-tenant/upstream.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { localIssuer } from '../helpers/jwt.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { parseRaw, rawRequest } from '../helpers/raw.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'multi-tenant');
const ISS = 'https://idp.notes.example';

interface Problem { code: string; status: number; detail?: string; errors?: { pointer: string; reason: string }[] }

/** The example's portcullis.yaml as shipped, on loopback ports 0, pointed at this upstream, with these keys. */
function exampleConfig(upstream: string, jwks: string, edit: (cfg: Record<string, unknown>) => void = () => {}): { dir: string; file: string } {
  const cfg = parse(readFileSync(join(EXAMPLE, 'portcullis.yaml'), 'utf8')) as Record<string, unknown> & { apis: Record<string, unknown>[] };
  cfg.server = { port: 0, host: '127.0.0.1' };
  cfg.admin = { port: 0 };
  cfg.logging = { level: 'info' };
  cfg.watch = false;
  cfg.apis[0]!.upstream = upstream;
  edit(cfg);
  return writeConfig(stringify(cfg), { 'openapi.yaml': readFileSync(join(EXAMPLE, 'openapi.yaml'), 'utf8'), 'jwks.json': jwks });
}

describe('multi-tenant example end to end: BOLA, BFLA, mass assignment, data exposure', () => {
  let up: NotesUpstream;
  let gw: GatewayProcess;
  const tokens: Record<string, string> = {};

  const call = async (who: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/api${path}`, {
      method,
      headers: {
        ...(who === undefined ? {} : { authorization: `Bearer ${tokens[who]}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', json: text === '' ? undefined : JSON.parse(text) as unknown, reached: up.seen.length > before };
  };
  const refused = async (r: Promise<Awaited<ReturnType<typeof call>>>, status: number, code: string, reached = false) => {
    const out = await r;
    assert.equal(out.status, status, JSON.stringify(out.json));
    assert.match(out.type, /^application\/problem\+json/);
    assert.equal((out.json as Problem).code, code);
    assert.equal(out.reached, reached, reached ? 'the upstream should have been asked' : 'the upstream must not be reached');
    return out.json as Problem;
  };

  before(async () => {
    const idp = await localIssuer(ISS, 'notes-api');
    tokens.alice = await idp.sign('alice', { tenant: 'acme', roles: ['user'] });
    tokens.bob = await idp.sign('bob', { tenant: 'acme', roles: ['user'] });
    tokens.root = await idp.sign('root', { tenant: 'acme', roles: ['admin'] });
    tokens.rootMfa = await idp.sign('root', { tenant: 'acme', roles: ['admin'], mfa: true });
    tokens.gina = await idp.sign('gina', { tenant: 'globex', roles: ['user'] });
    up = await startNotesUpstream();
    gw = await startGatewayProcess(exampleConfig(up.url, idp.jwks).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('the example config passes `portcullis validate`', async () => {
    const r = await runCli(['validate', '-c', gw.configFile]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('own user object: allowed; the leaked password hash is filtered; lastLoginIp only for admins', async () => {
    const own = await call('alice', 'GET', '/tenants/acme/users/alice');
    assert.equal(own.status, 200);
    assert.deepEqual(own.json, { id: 'alice', tenantId: 'acme', name: 'Alice', email: 'alice@acme.example', roles: ['user'] });
    const asAdmin = await call('root', 'GET', '/tenants/acme/users/bob');
    assert.equal(asAdmin.status, 200);
    assert.equal((asAdmin.json as Record<string, unknown>).lastLoginIp, '198.51.100.7');
    assert.equal((asAdmin.json as Record<string, unknown>).password, undefined);
  });

  test('BOLA by path id: alice reading, updating and deleting bob is refused before the upstream', async () => {
    const details = new Set<string | undefined>();
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'Pwned' }], ['DELETE', undefined]] as const) {
      const p = await refused(call('alice', method, '/tenants/acme/users/bob', body), 403, 'PCL_AUTHZ_DENIED');
      details.add(p.detail);
    }
    assert.equal(details.size, 1, 'one uniform message');
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.principal === 'alice' && l.operation === 'deleteUser');
    assert.deepEqual(ev.ruleIds, ['users-self']);
    assert.equal(ev.reason, 'no_rule_allowed');
    // bob still exists: the DELETE never happened.
    assert.equal((await call('bob', 'GET', '/tenants/acme/users/bob')).status, 200);
  });

  test('tenant isolation: another tenant\'s objects are refused by the deny rule, whatever the role', async () => {
    await refused(call('gina', 'GET', '/tenants/acme/users/alice'), 403, 'PCL_AUTHZ_DENIED');
    await refused(call('gina', 'GET', '/tenants/acme/notes'), 403, 'PCL_AUTHZ_DENIED');
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.principal === 'gina');
    assert.deepEqual(ev.ruleIds, ['tenant-isolation']);
  });

  test('BOLA by response owner: a note id says nothing about its owner, the answer does', async () => {
    const own = await call('alice', 'GET', '/notes/n1');
    assert.equal(own.status, 200);
    assert.equal((own.json as Record<string, unknown>).ownerId, 'alice');
    await refused(call('alice', 'GET', '/notes/n2'), 403, 'PCL_AUTHZ_DENIED', true);
    await refused(call('alice', 'GET', '/notes/n3'), 403, 'PCL_AUTHZ_DENIED', true);
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.operation === 'getNote');
    assert.deepEqual(ev.ruleIds, ['note-owner']);
    assert.equal(ev.reason, 'response_check');
    // An admin of the tenant may read any of its notes, not another tenant's.
    assert.equal((await call('root', 'GET', '/notes/n2')).status, 200);
    await refused(call('root', 'GET', '/notes/n3'), 403, 'PCL_AUTHZ_DENIED', true);
    // A 404 from the upstream is passed on, not turned into 403.
    assert.equal((await call('alice', 'GET', '/notes/n999')).status, 404);
  });

  test('a list holding another tenant\'s note: that element is filtered out', async () => {
    const r = await call('alice', 'GET', '/tenants/acme/notes');
    assert.equal(r.status, 200);
    const items = (r.json as { items: { id: string; tenantId: string }[] }).items;
    assert.deepEqual(items.map((n) => n.id).sort(), ['n1', 'n2']);
    assert.ok(items.every((n) => n.tenantId === 'acme'));
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.reason === 'response_filtered');
    assert.deepEqual(ev.ruleIds, ['notes-same-tenant']);
  });

  test('function level: users cannot call admin operations; admins can, the x-portcullis-admin one only with its rule', async () => {
    await refused(call('alice', 'GET', '/admin/tenants/acme/users'), 403, 'PCL_AUTHZ_DENIED');
    const list = await call('root', 'GET', '/admin/tenants/acme/users');
    assert.equal(list.status, 200);
    assert.equal((list.json as unknown[]).length, 3);
    await refused(call('alice', 'DELETE', '/admin/tenants/acme'), 403, 'PCL_AUTHZ_DENIED');
    await refused(call('root', 'DELETE', '/admin/tenants/acme'), 403, 'PCL_AUTHZ_DENIED');
    await refused(call('gina', 'DELETE', '/admin/tenants/acme'), 403, 'PCL_AUTHZ_DENIED');
    assert.equal((await call('rootMfa', 'DELETE', '/admin/tenants/acme')).status, 204);
  });

  test('mass assignment: readOnly and unknown fields are refused with their pointers', async () => {
    let p = await refused(call('alice', 'PATCH', '/tenants/acme/users/alice', { name: 'A', tenantId: 'globex' }), 400, 'PCL_VALIDATION_FAILED');
    assert.ok(p.errors!.some((e) => e.pointer === '/body/tenantId'), JSON.stringify(p.errors));
    p = await refused(call('alice', 'PATCH', '/tenants/acme/users/alice', { name: 'A', roles: ['admin'] }), 400, 'PCL_VALIDATION_FAILED');
    assert.ok(p.errors!.some((e) => e.pointer.startsWith('/body')), JSON.stringify(p.errors));
    const ok = await call('alice', 'PATCH', '/tenants/acme/users/alice', { name: 'Alicia' });
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.json as { roles: string[] }).roles, ['user']);
    await refused(call('alice', 'POST', '/tenants/acme/notes', { title: 't', ownerId: 'bob' }), 400, 'PCL_VALIDATION_FAILED');
  });

  test('prototype pollution keys and 10,000-deep nesting are refused before parsing', async () => {
    for (const body of ['{"name":"a","__proto__":{"roles":["admin"]}}', '{"name":"a","constructor":{"prototype":{"x":1}}}']) {
      await refused(call('alice', 'PATCH', '/tenants/acme/users/alice', body), 400, 'PCL_VALIDATION_FAILED');
    }
    const deep = '{"title":"t","text":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    await refused(call('alice', 'POST', '/tenants/acme/notes', deep), 400, 'PCL_VALIDATION_FAILED');
  });

  test('a 100 MB body is refused early: declared up front, or streamed (cut off at the limit)', async () => {
    const port = Number(new URL(gw.url).port);
    const before = up.seen.length;
    const r = await rawRequest(port, `PATCH /api/tenants/acme/users/alice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.alice}\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n{"name":"`);
    assert.equal(r.status, 413);
    assert.match(r.body, /PCL_BODY_TOO_LARGE/);
    const streamed = await streamBody(port, tokens.alice!, 100 * 1024 * 1024);
    assert.equal(streamed.status, 413);
    assert.match(streamed.body, /PCL_BODY_TOO_LARGE/);
    assert.ok(streamed.sent < 100 * 1024 * 1024, `the gateway answered after ${streamed.sent} bytes`);
    assert.equal(up.seen.length, before);
  });

  test('no token: 401 before any authorization', async () => {
    await refused(call(undefined, 'GET', '/tenants/acme/users/alice'), 401, 'PCL_AUTHN_REQUIRED');
  });
});

describe('authz config errors are reported at load with their path', () => {
  test('a bad CEL expression fails `portcullis validate` naming the rule', async () => {
    const { file } = exampleConfig('http://127.0.0.1:9', '{"keys":[]}', (cfg) => {
      const stages = (cfg.apis as { stages: { authz: { rules: { when?: unknown }[] } } }[])[0]!.stages;
      stages.authz.rules[1]!.when = 'request.params.userId == principle.id';
    });
    const r = await runCli(['validate', '-c', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /rules\[1\]\.when: unknown variable "principle"/);
  });
});

/**
 * Streams a chunked JSON body of up to `total` bytes over a raw socket, stopping as soon as
 * the gateway answers (a socket, not fetch: the gateway may close while we still write).
 */
function streamBody(port: number, token: string, total: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    const received: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]);
    // One chunk per tick of a few ms: the gateway reads each as it comes, so when it answers and
    // closes there is no unread data on its side (which would reset the connection over the answer).
    const pump = (): void => {
      if (answered || socket.destroyed) return;
      if (sent >= total) { socket.end('0\r\n\r\n'); return; }
      sent += 0x10000;
      socket.write(chunk, () => setTimeout(pump, 5));
    };
    socket.on('connect', () => {
      socket.write(`PATCH /api/tenants/acme/users/alice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
      pump();
    });
    socket.on('data', (d: Buffer) => { answered = true; received.push(d); });
    socket.on('error', () => { /* EPIPE / ECONNRESET once the gateway has answered and closed */ });
    socket.on('close', () => {
      const r = parseRaw(Buffer.concat(received).toString('latin1'));
      resolve({ status: r.status, body: r.body, sent });
    });
  });
}
