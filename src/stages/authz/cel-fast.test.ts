import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CelInput } from '@bufbuild/cel';
import { compileCondition } from '../../policy/cel.js';
import { authzCtx, jsonResponse } from './test-support.js';
import { principalVar, requestVar, responseVar } from '../../policy/variables.js';
import type { RequestContext } from '../../pipeline/context.js';

const VARS = ['principal', 'request', 'response', 'item'];

/** The fast answer and the CEL library's answer for one expression over one request/response. */
function both(source: string, ctx: RequestContext, body?: unknown, item?: unknown): { fast: boolean | undefined; cel: boolean | string } {
  const c = compileCondition(source, VARS);
  assert.ok(c.fast !== undefined, `${source}: expected a fast path`);
  const vars: Record<string, CelInput> = { principal: principalVar(ctx.principal), request: requestVar(ctx, 'all'), response: responseVar(jsonResponse(200, body ?? {}), body ?? null) };
  if (item !== undefined) vars.item = item as CelInput;
  return { fast: c.fast({ ctx, body, item }), cel: c.evaluate(vars) };
}

/** The fast path either agrees with the library or declines; `settled` says which the case must do. */
function agrees(source: string, ctx: RequestContext, settled: boolean, body?: unknown, item?: unknown): void {
  const r = both(source, ctx, body, item);
  if (r.fast === undefined) {
    assert.ok(!settled, `${source}: the fast path declined (CEL says ${String(r.cel)})`);
    return;
  }
  assert.ok(settled, `${source}: the fast path answered ${r.fast} where it must decline (CEL says ${String(r.cel)})`);
  assert.equal(r.fast, r.cel, source);
}

const alice = { id: 'alice', roles: ['user'], claims: { tenant: 'acme', nested: { org: 'o1' }, n: 7 } };

test('fast CEL: string compares, `in`, `has()` and the logical operators give the library\'s answers', () => {
  const ctx = authzCtx(alice, { params: { tenantId: 'acme', userId: 'alice' }, method: 'POST' });
  (ctx.headers as Record<string, string>)['x-block'] = '1';
  const settled: string[] = [
    "request.params.tenantId == 'acme' && request.method == 'POST'",
    "request.params.tenantId == 'acme' && request.method == 'GET'",
    "request.params.tenantId != 'acme' || request.method == 'POST'",
    "'x-block' in request.headers", "'x-other' in request.headers", "request.headers['x-block'] == '1'",
    'request.params.userId == principal.id', "principal.claims.tenant == 'acme'", "principal.claims.nested.org == 'o1'",
    "'user' in principal.roles", "'admin' in principal.roles", "!('admin' in principal.roles)",
    'has(request.params.tenantId)', 'has(request.params.itemId)', "has(request.params.tenantId) && request.params.tenantId != principal.claims.tenant",
    "request.path == '/' && request.ip == '192.0.2.1'", "principal.kind == 'jwt'",
  ];
  for (const s of settled) agrees(s, ctx, true);
});

test('fast CEL: a missing key, a number or any other shape is left to the library (its error text, its number rules)', () => {
  const ctx = authzCtx(alice, { params: { tenantId: 'acme' } });
  const declined: string[] = [
    // Missing keys are CEL errors, which deny rules treat as "deny": the exact error comes from the library.
    "request.params.itemId == 'acme'", "principal.claims.missing == 'x'", "principal.claims.tenant.deeper == 'x'",
    // A number compared with a string: CEL's heterogeneous equality, not the fast path's.
    "principal.claims.n == '7'",
    // Inherited names are not keys.
    "principal.claims.constructor == 'x'", "principal.claims.__proto__ == 'x'",
  ];
  for (const s of declined) agrees(s, ctx, false);
  // An error on one side of && is settled by a false on the other (CEL's commutative &&), and the fast path agrees.
  agrees("request.params.itemId == 'x' && request.method == 'POST'", ctx, true);
  agrees("request.params.itemId == 'x' || request.method == 'GET'", ctx, true);
  agrees("request.params.itemId == 'x' && request.method == 'GET'", ctx, false);
});

test('fast CEL: response bodies and list items, including hostile JSON (prototype keys, arrays, nulls)', () => {
  const ctx = authzCtx(alice, { params: { itemId: '42' } });
  agrees('response.body.id == request.params.itemId', ctx, true, { id: '42' });
  agrees('response.body.id == request.params.itemId', ctx, true, { id: '43' });
  agrees('response.body.owner.id == principal.id', ctx, true, { owner: { id: 'alice' } });
  agrees('response.body.id == request.params.itemId', ctx, false, { id: 42 });
  agrees('response.body.id == request.params.itemId', ctx, false, { id: null });
  agrees('response.body.id == request.params.itemId', ctx, false, [{ id: '42' }]);
  agrees('response.body.id == request.params.itemId', ctx, false, {});
  // JSON.parse makes "__proto__" an own key: it is data, read like any other.
  const proto = JSON.parse('{"__proto__": {"id": "42"}, "id": "42"}') as unknown;
  agrees('response.body.__proto__.id == request.params.itemId', ctx, true, proto);
  agrees("'__proto__' in response.body", ctx, true, proto);
  agrees("'toString' in response.body", ctx, true, { id: '42' });
  agrees('item.tenantId == principal.claims.tenant', ctx, true, {}, { tenantId: 'acme' });
  agrees('item.tenantId == principal.claims.tenant', ctx, false, {}, { tenantId: ['acme'] });
});

test('fast CEL: shapes it does not cover have no fast path', () => {
  for (const s of ["principal.roles.exists(r, r == 'admin')", 'response.status == 200', "principal.id.startsWith('a')", 'request.time > timestamp("2020-01-01T00:00:00Z")', 'principal.authenticated', "request.query.page == '1'", "{'a': 'b'}['a'] == 'b'"]) {
    assert.equal(compileCondition(s, VARS).fast, undefined, s);
  }
});
