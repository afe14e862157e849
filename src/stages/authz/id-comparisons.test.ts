import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from './policy.js';
import { AuthzSchema } from './schema.js';
import { Value } from '@sinclair/typebox/value';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const order = { type: 'object', properties: { id: { type: 'integer' }, user_id: { type: 'integer' }, owner: { type: 'string' }, meta: { allOf: [{ type: 'object', properties: { by: { type: ['integer', 'null'] } } }] } } };
const schemas = {
  requestBody: json(order),
  responses: { 200: json({ type: 'object', properties: { data: { type: 'array', items: order }, user_id: { type: 'number' } } }), 404: json({ type: 'object', properties: { user_id: { type: 'string' } } }) },
};
const policy = (cfg: Record<string, unknown>) => compilePolicy(Value.Default(AuthzSchema, cfg) as never, { operationId: 'getOrder', tags: [], admin: false, schemas });

test('a comparison of principal.id with a numeric body field is a load error naming the field and the idiom', () => {
  assert.throws(() => policy({ rules: [{ id: 'own', when: 'request.body.user_id == principal.id' }] }),
    /rules\[0\]\.when: compares principal\.id \(always a string\) with request\.body\.user_id, which the OpenAPI schema declares as integer: they are never equal\. Write request\.body\.user_id == int\(principal\.id\)/);
  assert.throws(() => policy({ responseRules: [{ id: 'own', when: 'principal.id != response.body.user_id' }] }), /response\.body\.user_id, which the OpenAPI schema declares as number/);
  assert.throws(() => policy({ responseRules: [{ id: 'own', items: '/data', action: 'filter', when: 'item.user_id == principal.id' }] }), /with item\.user_id, which the OpenAPI schema declares as integer/);
  assert.throws(() => policy({ rules: [{ id: 'own', when: "principal.roles.exists(r, r == 'a') || request.body.meta.by == principal.id" }] }), /request\.body\.meta\.by, which the OpenAPI schema declares as integer/);
});

test('string fields, converted ids, undeclared fields and other variables pass', () => {
  for (const when of [
    'request.body.owner == principal.id',
    'request.body.user_id == int(principal.id)',
    'string(request.body.user_id) == principal.id',
    'request.body.unknown == principal.id',
    'request.params.userId == principal.id',
  ]) assert.doesNotThrow(() => policy({ rules: [{ id: 'r', when }] }), when);
  // Without schemas (a pass-through route) nothing is checked.
  assert.doesNotThrow(() => compilePolicy(Value.Default(AuthzSchema, { rules: [{ id: 'r', when: 'request.body.user_id == principal.id' }] }) as never, { operationId: 'x', tags: [], admin: false }));
});
