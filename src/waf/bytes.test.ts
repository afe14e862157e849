import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteStringToUtf8, bytesToByteString, toByteString } from './bytes.js';
import { flattenJson } from './body/json.js';

test('ASCII is its own byte string both ways; anything else goes through UTF-8', () => {
  assert.equal(toByteString('GET /a?b=c'), 'GET /a?b=c');
  assert.equal(byteStringToUtf8('plain\u007f'), 'plain\u007f');
  // Latin-1 range characters are not ASCII: 'é' is two bytes in UTF-8.
  assert.equal(toByteString('caf\u00e9'), 'caf\u00c3\u00a9');
  assert.equal(byteStringToUtf8('caf\u00c3\u00a9'), 'caf\u00e9');
  assert.equal(toByteString('\u{1F600}'), '\u00f0\u009f\u0098\u0080');
  // A lone surrogate is what Buffer makes of it (U+FFFD's bytes), as before.
  assert.equal(toByteString('\ud800'), '\u00ef\u00bf\u00bd');
  assert.equal(bytesToByteString(new Uint8Array([0x41, 0xc3, 0xa9])), 'A\u00c3\u00a9');
});

test('an ASCII JSON body with escapes yields the escaped characters as UTF-8 bytes', () => {
  // The body is ASCII; its values are not once parsed.
  assert.deepEqual(flattenJson('{"n\\u00e9":"\\u00e9t\\u00e9","k":"plain","x":[1,null,true]}'), [
    ['json.n\u00c3\u00a9', '\u00c3\u00a9t\u00c3\u00a9'], ['json.k', 'plain'], ['json.x.0', '1'], ['json.x.1', ''], ['json.x.2', 'true'],
  ]);
  // A raw UTF-8 body arrives as a byte string and is parsed as UTF-8.
  assert.deepEqual(flattenJson('{"a":"caf\u00c3\u00a9"}'), [['json.a', 'caf\u00c3\u00a9']]);
});
