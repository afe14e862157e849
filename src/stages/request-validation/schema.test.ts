import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { RequestValidationSchema } from './schema.js';

test('defaults: enforce, strict bodies, unknown query parameters refused, bounded JSON', () => {
  const v = Value.Default(RequestValidationSchema, {}) as Record<string, unknown>;
  assert.equal(v.mode, 'enforce');
  assert.equal(v.strictBodies, true);
  assert.equal(v.allowUnknownQueryParameters, false);
  assert.deepEqual(v.json, { maxDepth: 32, maxStringLength: 65_536, maxArrayLength: 10_000, maxProperties: 1_000 });
  assert.ok(Value.Check(RequestValidationSchema, v));
});

test('unknown keys and out-of-range limits are refused', () => {
  const base = Value.Default(RequestValidationSchema, {}) as Record<string, unknown>;
  assert.equal(Value.Check(RequestValidationSchema, { ...base, strict: true }), false);
  assert.equal(Value.Check(RequestValidationSchema, { ...base, json: { ...(base.json as object), maxDepth: 0 } }), false);
  assert.equal(Value.Check(RequestValidationSchema, { ...base, json: { ...(base.json as object), extra: 1 } }), false);
});
