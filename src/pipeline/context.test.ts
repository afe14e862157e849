import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetResponseJson, replaceResponseJson, responseJson, type ResponseContext } from './context.js';

const res = (text: string): ResponseContext & { body: Buffer } => ({ status: 200, headers: {}, body: Buffer.from(text), generated: false });

test('responseJson parses a body once, and again only when the body is replaced', () => {
  const r = res('{"a":1}');
  const first = responseJson(r);
  assert.deepEqual(first, { body: r.body, ok: true, value: { a: 1 } });
  assert.equal(responseJson(r), first, 'the same body: the same parse');
  r.body = Buffer.from('{"a":2}');
  assert.deepEqual(responseJson(r).value, { a: 2 }, 'a stage that swapped the body without the helper still gets a fresh parse');
  assert.equal(responseJson(res('{"a":')).ok, false);
});

test('replaceResponseJson rewrites body and length and keeps the parse; forgetResponseJson drops it', () => {
  const r = res('{"a":1,"secret":2}');
  replaceResponseJson(r, { a: 1 });
  assert.equal(r.body!.toString(), '{"a":1}');
  assert.equal(r.headers['content-length'], '7');
  assert.deepEqual(responseJson(r as ResponseContext & { body: Buffer }).value, { a: 1 });
  forgetResponseJson(r);
  assert.equal(r.json, undefined);
});
