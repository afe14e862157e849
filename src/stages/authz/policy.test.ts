import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition } from '../../policy/cel.js';
import { authzStage } from './test-support.js';

test('CEL: syntax errors, unknown variables and misplaced variables are load-time errors with their config path', async () => {
  const cases: [object, RegExp][] = [
    [{ conditions: { self: 'request.params.userId == ' } }, /^conditions\.self: CEL syntax error: at 1:/],
    [{ conditions: { self: 'principle.id == "x"' } }, /^conditions\.self: unknown variable "principle"/],
    [{ rules: [{ id: 'a', when: ['principal.authenticated', 'response.status == 200'] }] }, /^rules\[0\]\.when\[1\]: unknown variable "response" \(available here: principal, request\)/],
    [{ rules: [{ id: 'a', when: 'item.x == 1' }] }, /^rules\[0\]\.when: unknown variable "item"/],
    [{ responseRules: [{ id: 'r', when: 'item.ownerId == principal.id' }] }, /^responseRules\[0\]\.when: unknown variable "item"/],
    [{ responseRules: [{ id: 'r', when: 'true', action: 'filter' }] }, /^responseRules\[0\]\.action: "filter" needs `items`/],
    [{ rules: [{ id: 'a' }, { id: 'a' }] }, /^rules\[1\]\.id: rule id "a" is used twice/],
    [{ roles: { admin: {} }, rules: [{ id: 'role:admin' }] }, /^rules\[0\]\.id: rule id "role:admin" is used twice/],
  ];
  for (const [cfg, re] of cases) await assert.rejects(authzStage('getUser', cfg), { message: re });
});

test('CEL: rules not targeting the operation are still compiled (a typo anywhere fails the load)', async () => {
  await assert.rejects(authzStage('getUser', { rules: [{ id: 'x', effect: 'allow', operations: ['listNotes'], when: 'principal.id ==' }] }), { message: /^rules\[0\]\.when: CEL syntax error/ });
});

test('CEL: comprehension variables are bound, not free; a non-boolean result is an error', () => {
  const c = compileCondition("principal.roles.exists(r, r == 'admin') && [1, 2].all(x, x > 0)", ['principal']);
  assert.deepEqual([...c.variables], ['principal']);
  assert.equal(c.evaluate({ principal: { roles: ['admin'] } }), true);
  assert.equal(c.evaluate({ principal: { roles: ['user'] } }), false);
  const n = compileCondition('principal.id', ['principal']);
  assert.equal(typeof n.evaluate({ principal: { id: 'x' } }), 'string');
  const missing = compileCondition('principal.claims.tenant == "a"', ['principal']);
  assert.match(String(missing.evaluate({ principal: { claims: {} } })), /tenant/);
});

test('CEL: the string extensions are available', () => {
  const c = compileCondition("principal.id.lowerAscii() == 'alice'", ['principal']);
  assert.equal(c.evaluate({ principal: { id: 'ALICE' } }), true);
});

test('request.body is detected so the stage asks for the body only when a rule reads it', () => {
  assert.deepEqual([...(compileCondition('request.body.tenantId == principal.claims.tenant', ['principal', 'request']).requestFields as Set<string>)], ['body']);
  assert.equal(compileCondition("request['body'] == null", ['request']).requestFields, 'all');
});
