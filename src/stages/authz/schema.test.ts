import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { AuthzSchema } from './schema.js';

test('defaults: enforce, defaultDeny on, admin tag "admin", no rules', () => {
  assert.deepEqual(Value.Default(AuthzSchema, {}), {
    mode: 'enforce', defaultDeny: true, adminTags: ['admin'], adminExtension: 'x-portcullis-admin',
    conditions: {}, roles: {}, rules: [], maxResponseBodySize: 1_048_576, responseRules: [],
  });
  const rule = Value.Default(AuthzSchema, { rules: [{ id: 'a' }], responseRules: [{ id: 'b', when: 'true' }] }) as { rules: { effect: string }[]; responseRules: { action: string }[] };
  assert.equal(rule.rules[0]!.effect, 'allow');
  assert.equal(rule.responseRules[0]!.action, 'block');
});

test('unknown keys, effects, actions and malformed ids or pointers are refused', () => {
  const ok = (v: unknown) => Value.Check(AuthzSchema, Value.Default(AuthzSchema, v));
  assert.equal(ok({ rules: [{ id: 'a', when: 'true' }] }), true);
  assert.equal(ok({ rules: [{ id: 'a', effect: 'permit' }] }), false);
  assert.equal(ok({ rules: [{ id: 'a', unless: 'x' }] }), false);
  assert.equal(ok({ rules: [{ id: '1 bad id' }] }), false);
  assert.equal(ok({ responseRules: [{ id: 'b', when: 'true', action: 'redact' }] }), false);
  assert.equal(ok({ responseRules: [{ id: 'b', when: 'true', items: 'items' }] }), false);
  assert.equal(ok({ conditions: { 'not-an-ident': 'true' } }), false);
  assert.equal(ok({ extra: true }), false);
});
