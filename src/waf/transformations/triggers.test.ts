import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transformations } from './builtins.js';
import { charMask, triggerMask } from './triggers.js';
import { prng } from '../../../test/helpers/prng.js';

// Characters every transformation cares about, plus plain ones, Latin-1 and a wide one.
const ALPHABET = 'aAzZ09 \t\n\x0b\f\r\0\x80\xa0\xc3\xa9\xff\u2028\u4e2d%+&\\/.*<>-#"\'^,;()!=:?xXuU'.split('');

test('a value with none of a transformation\'s trigger classes comes back unchanged', () => {
  const next = prng(16);
  for (const name of transformations.names()) {
    const fn = transformations.get(name);
    const trig = triggerMask(fn);
    let identity = 0;
    for (let k = 0; k < 4000; k++) {
      let s = '';
      const len = Math.floor(next() * 12);
      for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
      if ((charMask(s) & trig) !== 0) continue;
      identity++;
      const r = fn(s);
      assert.equal(r.value, s, `${name}(${JSON.stringify(s)})`);
      assert.equal(r.changed, false, `${name}(${JSON.stringify(s)}) says changed`);
    }
    if (trig !== triggerMask(transformations.get('length'))) assert.ok(identity > 10, `${name}: only ${identity} samples without triggers`);
  }
});

test('transformations that change every input, and unknown ones, always run', () => {
  for (const name of ['length', 'md5', 'sha1', 'base64Decode', 'hexEncode']) {
    assert.notEqual(charMask('') & triggerMask(transformations.get(name)), 0, name);
  }
  assert.notEqual(charMask('plain') & triggerMask((s) => ({ value: s, changed: false })), 0);
  // What CRS's chains meet on benign text: nothing to do.
  const chain = ['utf8toUnicode', 'urlDecodeUni', 'htmlEntityDecode', 'jsDecode', 'cssDecode', 'removeNulls'].reduce((m, n) => m | triggerMask(transformations.get(n)), 0);
  assert.equal(charMask('The Hobbit, or There and Back Again') & chain, 0);
  assert.notEqual(charMask('%3Cscript%3E') & chain, 0);
});
