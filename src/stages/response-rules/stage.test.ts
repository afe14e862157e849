import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { MemoryStore } from '../../store/index.js';
import { ResponseRulesSchema, type ResponseRulesConfig } from './schema.js';
import { createResponseRulesStage } from './stage.js';
import { statusMatcher } from './match.js';

const deps = { apiName: 'a', operationId: 'login', baseDir: '.', store: new MemoryStore({ maxKeys: 10 }) };

function stage(rules: unknown[], mode: 'enforce' | 'monitor' = 'enforce') {
  const cfg = Value.Default(ResponseRulesSchema, { mode, rules }) as ResponseRulesConfig;
  assert.ok(Value.Check(ResponseRulesSchema, cfg), JSON.stringify([...Value.Errors(ResponseRulesSchema, cfg)].map((e) => `${e.path} ${e.message}`)));
  return createResponseRulesStage(cfg, deps);
}

function ctx(): RequestContext {
  return {
    id: 'req-1', startedAt: 0n, method: 'POST', path: '/login', query: '', headers: { 'content-type': 'application/json' },
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'a', operationId: 'login', pathTemplate: '/login', tags: [], params: {} },
    principal: undefined, body: Buffer.from('{"username":"alice"}'), findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

function res(status: number, body: unknown, extra: Record<string, string> = {}): ResponseContext {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(buf.length), ...extra }, body: buf, generated: false };
}

const uniform = [{ name: 'uniform-login', match: { status: [401, 404] }, set: { status: 401, problem: { code: 'PCL_AUTHN_INVALID', detail: 'Invalid username or password.' } } }];

test('uniform login failures: a 404 (unknown user) and a 401 (bad password) become the same 401 problem', async () => {
  const s = stage(uniform);
  assert.equal(s.needsResponseBody, true);
  const a = res(404, { error: 'no_such_user' });
  const b = res(401, { error: 'invalid_password' }, { etag: '"x"' });
  assert.equal((await s.handlers.respond!(ctx(), a)).kind, 'continue');
  assert.equal((await s.handlers.respond!(ctx(), b)).kind, 'continue');
  for (const r of [a, b]) {
    assert.equal(r.status, 401);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.equal(r.headers.etag, undefined);
    const doc = JSON.parse(r.body!.toString()) as Record<string, unknown>;
    assert.deepEqual(doc, { type: 'https://portcullis.dev/problems/authn-invalid', title: 'Invalid Credentials', status: 401, code: 'PCL_AUTHN_INVALID', instance: 'urn:request:req-1', detail: 'Invalid username or password.' });
    assert.equal(r.headers['content-length'], String(r.body!.length));
  }
  assert.equal(a.body!.toString(), b.body!.toString());
});

test('masking upstream 5xx bodies: a stack trace never reaches the client; 2xx untouched', async () => {
  const s = stage([{ name: 'mask-5xx', match: { status: ['5XX'] }, set: { json: { error: 'upstream_error' }, headers: { 'x-debug': null } } }]);
  const r = res(500, 'Error: boom\n    at db.js:12', { 'content-type': 'text/plain', 'x-debug': 'trace' });
  await s.handlers.respond!(ctx(), r);
  assert.equal(r.status, 500);
  assert.equal(r.body!.toString(), '{"error":"upstream_error"}');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-debug'], undefined);
  const ok = res(200, { id: 1 });
  await s.handlers.respond!(ctx(), ok);
  assert.equal(ok.body!.toString(), '{"id":1}');
});

test('mapping an undeclared status, CEL over the response body, first match wins', async () => {
  const s = stage([
    { name: 'gone-is-404', match: { status: ['400-499'], contentType: ['application/json'], when: 'response.body.error == "gone"' }, set: { status: 404 } },
    { name: 'any-4xx', match: { status: ['4XX'] }, set: { status: 400 } },
  ]);
  const gone = res(410, { error: 'gone' });
  await s.handlers.respond!(ctx(), gone);
  assert.equal(gone.status, 404);
  assert.equal(gone.body!.toString(), '{"error":"gone"}');
  const other = res(418, { error: 'teapot' });
  await s.handlers.respond!(ctx(), other);
  assert.equal(other.status, 400);
  const c = ctx();
  const text = res(410, 'gone', { 'content-type': 'text/plain' });
  await s.handlers.respond!(c, text);
  assert.equal(text.status, 400, 'content type did not match the first rule');
  assert.deepEqual(c.findings.map((f) => f.ruleIds?.[0]), ['any-4xx']);
});

test('monitor mode records the match and changes nothing; generated responses are left alone', async () => {
  const s = stage(uniform, 'monitor');
  const c = ctx();
  const r = res(404, { error: 'no_such_user' });
  await s.handlers.respond!(c, r);
  assert.equal(r.status, 404);
  assert.equal(c.findings[0]?.enforced, false);
  const e = stage(uniform);
  const g: ResponseContext = { ...res(404, {}), generated: true };
  await e.handlers.respond!(ctx(), g);
  assert.equal(g.status, 404);
});

test('a body-replacing rule on a response too large to buffer answers 502 instead of leaking it', async () => {
  const s = stage(uniform);
  const r: ResponseContext = { status: 404, headers: { 'content-type': 'text/html' }, body: undefined, generated: false, oversize: true };
  const d = await s.handlers.respond!(ctx(), r);
  assert.equal(d.kind, 'reject');
  assert.equal(d.kind === 'reject' && d.error.code, 'PCL_RESPONSE_CONTRACT_VIOLATION');
});

test('status-only rules do not buffer bodies; config mistakes are load errors', () => {
  assert.equal(stage([{ name: 'x', match: { status: [404] }, set: { status: 400 } }]).needsResponseBody, undefined);
  assert.throws(() => stage([{ name: 'x', match: { status: ['499-400'] }, set: { status: 400 } }]), /rules\[0\] \(x\)\.match\.status: status range "499-400" is empty/);
  assert.throws(() => stage([{ name: 'x', match: {}, set: { problem: { code: 'PCL_NOPE' } } }]), /not a client error code/);
  assert.throws(() => stage([{ name: 'x', match: { when: 'respons.status == 1' }, set: { status: 400 } }]), /match\.when: unknown variable "respons"/);
  assert.throws(() => stage([{ name: 'x', match: {}, set: {} }]), /changes nothing/);
  assert.throws(() => stage([{ name: 'x', match: {}, set: { json: {}, problem: { code: 'PCL_AUTHN_INVALID' } } }]), /either json or problem/);
});

test('statusMatcher: exact, class and range', () => {
  const m = statusMatcher([404, '5XX', '401-403']);
  assert.deepEqual([404, 500, 599, 401, 403, 400, 405, 200].map(m), [true, true, true, true, true, false, false, false]);
});
