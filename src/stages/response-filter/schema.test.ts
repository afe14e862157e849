import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { ResponseFilterSchema } from './schema.js';

test('defaults: filter, 1 MiB, oversize blocked', () => {
  const v = Value.Default(ResponseFilterSchema, {}) as Record<string, unknown>;
  assert.deepEqual(v, { mode: 'enforce', action: 'filter', maxBodySize: 1_048_576, oversize: 'block', visibleTo: {}, visibilityExtension: 'x-portcullis-visible-to' });
});

test('unknown actions and keys are refused', () => {
  const v = Value.Default(ResponseFilterSchema, {}) as Record<string, unknown>;
  assert.equal(Value.Check(ResponseFilterSchema, { ...v, action: 'redact' }), false);
  assert.equal(Value.Check(ResponseFilterSchema, { ...v, extra: 1 }), false);
});
