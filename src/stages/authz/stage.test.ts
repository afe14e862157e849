import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import type { Decision } from '../../pipeline/stage.js';
import type { AuthzConfig } from './schema.js';
import { authzCtx, authzStage, jsonResponse } from './test-support.js';

const policy: Partial<AuthzConfig> = {
  conditions: {
    self: 'request.params.userId == principal.id',
    sameTenant: 'request.params.tenantId == principal.claims.tenant',
  },
  roles: { admin: { operations: [], tags: ['admin'] } },
  rules: [
    { id: 'tenant-isolation', effect: 'deny', when: 'has(request.params.tenantId) && request.params.tenantId != principal.claims.tenant' },
    { id: 'users-self', effect: 'allow', roles: ['user'], operations: ['getUser', 'updateUser', 'deleteUser'], when: 'self' },
    { id: 'users-admin', effect: 'allow', roles: ['admin'], operations: ['getUser', 'updateUser', 'deleteUser'] },
    { id: 'notes-members', effect: 'allow', roles: ['user', 'admin'], tags: ['notes'] },
  ],
  responseRules: [
    { id: 'note-owner', operations: ['getNote'], when: "response.body.tenantId == principal.claims.tenant && (response.body.ownerId == principal.id || 'admin' in principal.roles)", action: 'block' },
    { id: 'notes-tenant', operations: ['listNotes'], items: '/items', when: 'item.tenantId == principal.claims.tenant', action: 'filter' },
  ],
};

const alice = { id: 'alice', roles: ['user'], claims: { tenant: 'acme' } };
const bob = { id: 'bob', roles: ['user'], claims: { tenant: 'acme' } };
const root = { id: 'root', roles: ['admin'], claims: { tenant: 'acme' } };
const mallory = { id: 'mallory', roles: ['user'], claims: { tenant: 'evil' } };

function denied(d: Decision, code = 'PCL_AUTHZ_DENIED'): void {
  assert.equal(d.kind, 'reject');
  if (d.kind === 'reject') {
    assert.equal(d.error.code, code);
    assert.equal(d.error.status, 403);
    assert.equal(d.error.detail, 'You are not allowed to perform this operation on this resource.');
  }
}

function events(): { list: SecurityEventMessage[]; stop: () => void } {
  const list: SecurityEventMessage[] = [];
  const fn = (m: unknown) => { list.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, fn);
  return { list, stop: () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, fn) };
}

test('BOLA by path id: a user reads, updates and deletes only their own user object', async () => {
  for (const op of ['getUser', 'updateUser', 'deleteUser']) {
    const s = await authzStage(op, policy);
    const own = authzCtx(alice, { params: { tenantId: 'acme', userId: 'alice' } });
    assert.equal((await s.handlers.authorize!(own)).kind, 'continue');
    assert.deepEqual(own.findings[0]?.ruleIds, ['users-self']);
    const ev = events();
    const other = authzCtx(alice, { params: { tenantId: 'acme', userId: 'bob' } });
    denied(await s.handlers.authorize!(other));
    ev.stop();
    assert.equal(ev.list[0]?.kind, 'authz.denied');
    assert.equal(ev.list[0]?.reason, 'no_rule_allowed');
    assert.deepEqual(ev.list[0]?.ruleIds, ['users-self']);
    assert.equal(ev.list[0]?.principal, 'alice');
    assert.equal(ev.list[0]?.enforced, true);
    assert.deepEqual(other.findings[0]?.ruleIds, ['users-self']);
  }
});

test('tenant isolation: a deny rule wins over any allow, even for admins of another tenant', async () => {
  const s = await authzStage('getUser', policy);
  assert.equal((await s.handlers.authorize!(authzCtx(root, { params: { tenantId: 'acme', userId: 'bob' } }))).kind, 'continue');
  const c = authzCtx({ ...root, claims: { tenant: 'evil' } }, { params: { tenantId: 'acme', userId: 'bob' } });
  denied(await s.handlers.authorize!(c));
  assert.deepEqual(c.findings[0]?.ruleIds, ['tenant-isolation']);
  // A principal without a tenant claim: the deny rule cannot be evaluated, so it denies (fail closed).
  const nc = authzCtx({ id: 'x', roles: ['admin'], claims: {} }, { params: { tenantId: 'acme', userId: 'bob' } });
  denied(await s.handlers.authorize!(nc));
  assert.match(nc.findings[0]!.message, /failed to evaluate/);
});

test('function-level: admin operations are denied to users, allowed by the admin grant, and denied to all when no rule names them', async () => {
  const list = await authzStage('listTenantUsers', policy);
  denied(await list.handlers.authorize!(authzCtx(alice, { params: { tenantId: 'acme' } })));
  const ok = authzCtx(root, { params: { tenantId: 'acme' } });
  assert.equal((await list.handlers.authorize!(ok)).kind, 'continue');
  assert.deepEqual(ok.findings[0]?.ruleIds, ['role:admin']);
  // purgeTenant is marked x-portcullis-admin: "*" rules do not cover it, so even defaultDeny: false refuses it.
  const purge = await authzStage('purgeTenant', { ...policy, defaultDeny: false, rules: [...policy.rules!, { id: 'anything', effect: 'allow', operations: ['*'] }] });
  const c = authzCtx(root, { params: { tenantId: 'acme' } });
  denied(await purge.handlers.authorize!(c));
  assert.deepEqual(c.findings[0]?.ruleIds, ['admin-default-deny']);
  const named = await authzStage('purgeTenant', { ...policy, rules: [{ id: 'purge', effect: 'allow', roles: ['admin'], operations: ['purgeTenant'] }] });
  assert.equal((await named.handlers.authorize!(authzCtx(root, { params: { tenantId: 'acme' } }))).kind, 'continue');
  denied(await named.handlers.authorize!(authzCtx(alice, { params: { tenantId: 'acme' } })));
});

test('defaultDeny: an operation no rule targets is refused; off, it passes', async () => {
  const only = { rules: [{ id: 'notes', effect: 'allow' as const, tags: ['notes'] }] };
  const c = authzCtx(alice, { params: { tenantId: 'acme', userId: 'alice' } });
  denied(await (await authzStage('getUser', only)).handlers.authorize!(c));
  assert.deepEqual(c.findings[0]?.ruleIds, ['default-deny']);
  assert.equal((await (await authzStage('getUser', { ...only, defaultDeny: false })).handlers.authorize!(c)).kind, 'continue');
});

test('an allow rule whose CEL fails to evaluate does not allow: 403, and the next rule may still allow', async () => {
  // principal.claims.tenant is absent: "no such key" at run time, not a load error.
  const rules = [{ id: 'tenant-match', effect: 'allow' as const, operations: ['getUser'], when: "principal.claims.tenant == 'acme'" }];
  const c = authzCtx({ id: 'x', roles: ['user'], claims: {} }, { params: { tenantId: 'acme', userId: 'x' } });
  denied(await (await authzStage('getUser', { rules })).handlers.authorize!(c));
  assert.deepEqual(c.findings[0]?.ruleIds, ['tenant-match']);
  assert.equal(c.findings[0]?.code, 'authz.denied');
  const notBool = await authzStage('getUser', { rules: [{ id: 'not-bool', effect: 'allow', when: 'principal.id' }] });
  denied(await notBool.handlers.authorize!(authzCtx(alice)));
  const fallback = await authzStage('getUser', { rules: [...rules, { id: 'self', effect: 'allow', when: 'request.params.userId == principal.id' }] });
  const ok = authzCtx({ id: 'x', roles: ['user'], claims: {} }, { params: { tenantId: 'acme', userId: 'x' } });
  assert.equal((await fallback.handlers.authorize!(ok)).kind, 'continue');
  assert.deepEqual(ok.findings[0]?.ruleIds, ['self']);
});

test('anonymous callers match only rules without roles, and principal.id is empty', async () => {
  const s = await authzStage('getUser', { rules: [{ id: 'public', effect: 'allow', when: '!principal.authenticated' }] });
  assert.equal((await s.handlers.authorize!(authzCtx(undefined))).kind, 'continue');
  denied(await s.handlers.authorize!(authzCtx(alice)));
  const t = await authzStage('getUser', policy);
  denied(await t.handlers.authorize!(authzCtx(undefined, { params: { tenantId: 'acme', userId: '' } })));
});

test('request body, query, headers, method, ip and time are available to rules', async () => {
  const s = await authzStage('createNote', {
    rules: [{
      id: 'body-tenant', effect: 'allow',
      when: ["request.body.title != 'forbidden'", "request.query.draft == '1'", "request.headers['x-env'] == 'prod'", "request.method == 'POST'", "request.ip == '192.0.2.1'", "request.time > timestamp('2020-01-01T00:00:00Z')"],
    }],
  });
  assert.equal(s.needsRequestBody, true);
  const ctx = (title: string) => {
    const c = authzCtx(alice, { method: 'POST', body: { title }, query: 'draft=1' });
    (c.headers as Record<string, string>)['x-env'] = 'prod';
    return c;
  };
  assert.equal((await s.handlers.authorize!(ctx('ok'))).kind, 'continue');
  denied(await s.handlers.authorize!(ctx('forbidden')));
  const t = await authzStage('createNote', policy);
  assert.equal(t.needsRequestBody, false);
});

test('monitor mode records the denial but lets the request pass (the runner does not enforce it)', async () => {
  const s = await authzStage('getUser', { ...policy, mode: 'monitor' });
  assert.equal(s.mode, 'monitor');
  const ev = events();
  const c = authzCtx(alice, { params: { tenantId: 'acme', userId: 'bob' } });
  denied(await s.handlers.authorize!(c));
  ev.stop();
  assert.equal(ev.list[0]?.enforced, false);
  assert.equal(c.findings[0]?.enforced, false);
});

test('response ownership: another user\'s note is blocked, the owner\'s passes, admins of the tenant pass', async () => {
  const s = await authzStage('getNote', policy);
  assert.equal(s.needsResponseBody, true);
  const note = { id: 'n1', tenantId: 'acme', ownerId: 'bob', title: 't' };
  const c = authzCtx(alice, { params: { noteId: 'n1' } });
  denied(await s.handlers.respond!(c, jsonResponse(200, note)));
  assert.deepEqual(c.findings[0]?.ruleIds, ['note-owner']);
  assert.equal((await s.handlers.respond!(authzCtx(bob), jsonResponse(200, note))).kind, 'continue');
  assert.equal((await s.handlers.respond!(authzCtx(root), jsonResponse(200, note))).kind, 'continue');
  denied(await s.handlers.respond!(authzCtx(mallory), jsonResponse(200, note)));
  // Error statuses and the gateway's own responses are not ownership-checked.
  assert.equal((await s.handlers.respond!(authzCtx(alice), jsonResponse(404, { title: 'no' }))).kind, 'continue');
  assert.equal((await s.handlers.respond!(authzCtx(alice), { ...jsonResponse(200, note), generated: true })).kind, 'continue');
});

test('response ownership fails closed: unbuffered, encoded, non-JSON or invalid bodies are blocked', async () => {
  const s = await authzStage('getNote', policy);
  const r = (over: object) => ({ ...jsonResponse(200, {}), ...over });
  denied(await s.handlers.respond!(authzCtx(bob), r({ body: undefined, headers: { 'content-type': 'application/json', 'content-length': '99999999' } })));
  denied(await s.handlers.respond!(authzCtx(bob), jsonResponse(200, '{}', { 'content-encoding': 'gzip' })));
  denied(await s.handlers.respond!(authzCtx(bob), jsonResponse(200, '{}', { 'content-type': 'text/html' })));
  denied(await s.handlers.respond!(authzCtx(bob), jsonResponse(200, '{"ownerId":')));
  assert.equal((await s.handlers.respond!(authzCtx(bob), r({ status: 204, body: Buffer.alloc(0), headers: {} }))).kind, 'continue');
});

test('list responses: other tenants\' elements are filtered out (filter) or the list is blocked (block)', async () => {
  const items = [{ id: 'n1', tenantId: 'acme', title: 'a' }, { id: 'n2', tenantId: 'evil', title: 'b' }, { id: 'n3', tenantId: 'acme', title: 'c' }];
  const s = await authzStage('listNotes', policy);
  const res = jsonResponse(200, { items });
  const c = authzCtx(alice, { params: { tenantId: 'acme' } });
  const ev = events();
  assert.equal((await s.handlers.respond!(c, res)).kind, 'continue');
  ev.stop();
  assert.deepEqual(JSON.parse(res.body!.toString()), { items: [items[0], items[2]] });
  assert.equal(res.headers['content-length'], String(res.body!.length));
  assert.equal(ev.list[0]?.reason, 'response_filtered');
  assert.deepEqual(ev.list[0]?.ruleIds, ['notes-tenant']);
  const blocking = await authzStage('listNotes', { ...policy, responseRules: [{ ...policy.responseRules![1]!, action: 'block' }] });
  denied(await blocking.handlers.respond!(authzCtx(alice), jsonResponse(200, { items })));
  const clean = jsonResponse(200, { items: [items[0]] });
  assert.equal((await blocking.handlers.respond!(authzCtx(alice), clean)).kind, 'continue');
  // items pointing at something that is not a list: blocked.
  denied(await s.handlers.respond!(authzCtx(alice), jsonResponse(200, { items: {} })));
});

test('operations without response rules do not ask for the response body', async () => {
  const s = await authzStage('getUser', policy);
  assert.equal(s.needsResponseBody, false);
  assert.equal(s.handlers.respond, undefined);
});

test('operations with response rules never get a 304 or a range from the upstream: conditional headers are dropped', async () => {
  const s = await authzStage('getNote', policy);
  const c = authzCtx(alice, { params: { noteId: 'n1' } });
  (c.headers as Record<string, string>)['if-none-match'] = '"v1"';
  assert.equal((await s.handlers.authorize!(c)).kind, 'continue');
  assert.deepEqual(c.upstreamHeaders, { 'if-none-match': null, 'if-modified-since': null, range: null, 'if-range': null });
  const plain = authzCtx(alice, { params: { noteId: 'n1' } });
  await s.handlers.authorize!(plain);
  assert.equal(plain.upstreamHeaders, undefined);
  const u = authzCtx(alice, { params: { tenantId: 'acme', userId: 'alice' } });
  await (await authzStage('getUser', policy)).handlers.authorize!(u);
  assert.equal(u.upstreamHeaders, undefined);
});

test('a very long list (200,000 elements) is filtered without blowing the stack', async () => {
  const s = await authzStage('listNotes', policy);
  const items = Array.from({ length: 200_000 }, (_, i) => ({ tenantId: i % 2 === 0 ? 'acme' : 'evil' }));
  const res = jsonResponse(200, { items });
  assert.equal((await s.handlers.respond!(authzCtx(alice), res)).kind, 'continue');
  assert.equal((JSON.parse(res.body!.toString()) as { items: unknown[] }).items.length, 100_000);
});

test('the response body is parsed once and shared: filtering keeps the new parse, monitor mode drops the edited one', async () => {
  const items = [{ id: 'n1', tenantId: 'acme' }, { id: 'n2', tenantId: 'evil' }];
  const enforce = await authzStage('listNotes', policy);
  const res = jsonResponse(200, { items });
  await enforce.handlers.respond!(authzCtx(alice), res);
  // The next stage reads the filtered list without parsing again, and it matches the new body.
  assert.equal(res.json?.body, res.body);
  assert.deepEqual(res.json?.value, JSON.parse(res.body!.toString()));
  assert.deepEqual(res.json?.value, { items: [items[0]] });

  const monitor = await authzStage('listNotes', { ...policy, mode: 'monitor' });
  const seen = jsonResponse(200, { items });
  await monitor.handlers.respond!(authzCtx(alice), seen);
  // The body goes out as the upstream sent it, so the parse edited in place must not be reused.
  assert.deepEqual(JSON.parse(seen.body!.toString()), { items });
  assert.equal(seen.json, undefined);

  const untouched = jsonResponse(200, { items: [items[0]] });
  await enforce.handlers.respond!(authzCtx(alice), untouched);
  assert.equal(untouched.json?.body, untouched.body, 'a clean body keeps its parse for the response filter');
});
