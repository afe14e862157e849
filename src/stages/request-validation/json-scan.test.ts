import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJson } from './json-scan.js';

const L = { maxDepth: 4, maxStringLength: 10, maxArrayLength: 3, maxProperties: 3 };

test('accepts exactly what JSON.parse accepts on a corpus', () => {
  const cases = ['0', '-1.5e+3', '"a\\n\\u00e9"', 'true', 'null', ' [ ] ', '{}', '{"a":[1,{"b":null}]}', '01', '1.', '.5', '+1', '[1,]', '{"a" 1}', '{"a":1,}', '"\u0001"', '"\\x"', 'tru', '[1] 2', '', '{"a":"b"', '"\\u12G4"', '-', '1e'];
  for (const c of cases) {
    let parsed = true;
    try { JSON.parse(c); } catch { parsed = false; }
    assert.equal(scanJson(c, L) === undefined, parsed, c);
  }
});

test('reports the limit and where', () => {
  assert.deepEqual(scanJson('[[[[[1]]]]]', L), { pointer: '/0/0/0/0', reason: 'nesting too deep' });
  assert.deepEqual(scanJson('{"a":"12345678901"}', L), { pointer: '/a', reason: 'string too long' });
  assert.deepEqual(scanJson('{"a":[1,2,3,4]}', L), { pointer: '/a', reason: 'array too long' });
  assert.deepEqual(scanJson('{"a":1,"b":2,"c":3,"d":4}', L), { pointer: '', reason: 'too many properties' });
  assert.deepEqual(scanJson('{"a~/b":1,"a~/b":2}', L), { pointer: '/a~0~1b', reason: 'duplicate key' });
  assert.deepEqual(scanJson('{"x":{"__proto__":1}}', L), { pointer: '/x/__proto__', reason: 'forbidden key' });
});

test('a key counts once per object: the same key in sibling objects is fine', () => {
  assert.equal(scanJson('[{"a":1},{"a":2}]', L), undefined);
});

test('a very deep document does not recurse', () => {
  assert.equal(scanJson('['.repeat(200_000) + ']'.repeat(200_000), { ...L, maxDepth: 1_000_000 }), undefined);
});

test('pointers are built only for a problem, and name the same place as before: inside arrays, keys, long keys', () => {
  const cases: [string, string, string][] = [
    ['{"a":[1,{"b":[[[1]]]}]}', '/a/1/b/0', 'nesting too deep'],
    ['["short","12345678901"]', '/1', 'string too long'],
    ['{"a":{"12345678901":1}}', '/a', 'string too long'],
    ['[[1],[1,2,3,4]]', '/1', 'array too long'],
    ['{"a":[' + '1'.repeat(1001) + ']}', '/a', 'number too long'],
    ['{"a":[1,2', '', 'invalid JSON'],
  ];
  for (const [doc, pointer, reason] of cases) assert.deepEqual(scanJson(doc, L), { pointer, reason }, doc);
  const long = 'k'.repeat(250);
  const wide = { ...L, maxStringLength: 1000 };
  assert.deepEqual(scanJson(`{"x":{"${long}":1,"${long}":2}}`, wide), { pointer: '/x', reason: 'duplicate key' });
  assert.deepEqual(scanJson('{"a/b":{"c~d":[true,{"__proto__":0}]}}', wide), { pointer: '/a~1b/c~0d/1/__proto__', reason: 'forbidden key' });
  assert.deepEqual(scanJson('{"x":{"\\u005f_proto__":1}}', wide), { pointer: '/x/__proto__', reason: 'forbidden key' });
  assert.deepEqual(scanJson('{"x":[{"a":1,"\\u0061":2}]}', wide), { pointer: '/x/0/a', reason: 'duplicate key' });
});
