import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInnerList, parseDictionary, serializeInnerList, type InnerList } from './structured-fields.js';

test('parses inner lists with parameters and re-serializes them canonically', () => {
  const d = parseDictionary('sig1=("@method" "@query-param";name="a" "content-digest");created=1618884473;keyid="k\\"1";alg="ed25519", sig2=("@path")');
  const sig1 = d.get('sig1') as InnerList;
  assert.ok(isInnerList(sig1));
  assert.equal(sig1.items.length, 3);
  assert.equal(sig1.params.get('created'), 1618884473);
  assert.equal(sig1.params.get('keyid'), 'k"1');
  assert.equal(serializeInnerList(sig1), '("@method" "@query-param";name="a" "content-digest");created=1618884473;keyid="k\\"1";alg="ed25519"');
  assert.ok(d.has('sig2'));
});

test('byte sequences, tokens, booleans', () => {
  const d = parseDictionary('a=:AQID:, b=tok/en, c, d=?0');
  assert.deepEqual([...((d.get('a') as { value: { bytes: Buffer } }).value.bytes)], [1, 2, 3]);
  assert.deepEqual((d.get('b') as { value: unknown }).value, { token: 'tok/en' });
  assert.equal((d.get('c') as { value: unknown }).value, true);
  assert.equal((d.get('d') as { value: unknown }).value, false);
});

test('attack: malformed input throws rather than half-parses', () => {
  for (const bad of ['sig1=("a"', 'sig1=("a");created=', 'Sig1=("a")', 'a=:***:', 'a="\u0001"', 'a=1,', 'a=1 b=2', 'a="unterminated', 'a=("x""y")', 'a=99999999999999999']) {
    assert.throws(() => parseDictionary(bad), /structured field/, bad);
  }
});
