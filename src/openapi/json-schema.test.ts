import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJsonSchema } from './json-schema.js';

test('3.0 nullable and boolean exclusive bounds become 2020-12', () => {
  const out = toJsonSchema({ type: 'integer', nullable: true, minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false }, { version: '3.0', direction: 'request', strict: true });
  assert.deepEqual(out, { type: ['integer', 'null'], exclusiveMinimum: 0, maximum: 9 });
  assert.deepEqual(toJsonSchema({ enum: ['a'], nullable: true }, { version: '3.0', direction: 'request', strict: true }), { anyOf: [{ enum: ['a', null] }, { type: 'null' }] });
});

test('cycles are re-bundled into $defs and the input is not mutated', () => {
  const node: Record<string, unknown> = { type: 'object', properties: {} };
  (node.properties as Record<string, unknown>).child = node;
  const out = toJsonSchema(node, { version: '3.1', direction: 'request', strict: true }) as Record<string, unknown>;
  assert.equal(JSON.stringify(out), JSON.stringify({ $ref: '#/$defs/r0', $defs: { r0: { type: 'object', properties: { child: { $ref: '#/$defs/r0' } }, unevaluatedProperties: false } } }));
  assert.equal(Object.keys(node).length, 2);
});

test('strict mode never closes an allOf fragment, and respects the document', () => {
  const out = toJsonSchema({ allOf: [{ type: 'object', properties: { a: {} } }] }, { version: '3.1', direction: 'request', strict: true });
  assert.deepEqual(out, { allOf: [{ type: 'object', properties: { a: {} } }], unevaluatedProperties: false });
  assert.deepEqual(toJsonSchema({ type: 'object', additionalProperties: {} }, { version: '3.1', direction: 'request', strict: true }), { type: 'object', additionalProperties: {} });
});

test('readOnly leaves requests, writeOnly leaves response requirements', () => {
  const s = { type: 'object', required: ['id', 'pw'], properties: { id: { type: 'integer', readOnly: true }, pw: { type: 'string', writeOnly: true } } };
  assert.deepEqual(toJsonSchema(s, { version: '3.1', direction: 'request', strict: false }), { type: 'object', required: ['pw'], properties: { id: false, pw: { type: 'string', writeOnly: true } } });
  assert.deepEqual(toJsonSchema(s, { version: '3.1', direction: 'response', strict: false }), { type: 'object', required: ['id'], properties: { id: { type: 'integer', readOnly: true }, pw: { type: 'string', writeOnly: true } } });
});
