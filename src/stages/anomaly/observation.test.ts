import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseJson, type ResponseContext } from '../../pipeline/context.js';
import { measureResponse, recordsAt } from './observation.js';

const res = (body: string | undefined, headers: Record<string, string> = {}): ResponseContext => ({ status: 200, headers, body: body === undefined ? undefined : Buffer.from(body), generated: false });

test('records: the array at the pointer, or none', () => {
  assert.equal(recordsAt({ items: [1, 2, 3] }, '/items'), 3);
  assert.equal(recordsAt([1, 2], ''), 2);
  assert.equal(recordsAt({ data: { 'a/b': [1] } }, '/data/a~1b'), 1);
  assert.equal(recordsAt({ items: 'x' }, '/items'), undefined);
  assert.equal(recordsAt({ items: [1] }, '/missing'), undefined);
  assert.equal(recordsAt(null, '/items'), undefined);
});

test('the response is parsed once: a parse another stage made is reused, and ours is left for the next', () => {
  const r = res('{"items":[{"id":1},{"id":2}]}');
  const m = measureResponse(r, '/items');
  assert.deepEqual(m, { bytes: 29, records: 2 });
  assert.equal(r.json?.body, r.body, 'the parse is shared (ADR 0010)');
  const list = res('[1,2,3]');
  const parsed = responseJson(list as ResponseContext & { body: Buffer });
  assert.equal(measureResponse(list, undefined).records, 3);
  assert.equal(list.json, parsed);
  assert.equal(measureResponse(res('[1,2,3]'), undefined).records, undefined, 'without a pointer nobody parses for us');
});

test('unbuffered and unparsable bodies count bytes only', () => {
  assert.deepEqual(measureResponse(res(undefined, { 'content-length': '1234' }), '/items'), { bytes: 1234, records: undefined });
  assert.deepEqual(measureResponse(res(undefined, {}), '/items'), { bytes: 0, records: undefined });
  assert.deepEqual(measureResponse(res('not json'), '/items'), { bytes: 8, records: undefined });
});
