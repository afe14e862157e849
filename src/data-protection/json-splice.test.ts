import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spliceJson, type SpliceRules } from './json-splice.js';
import { compileScanner } from './scanner.js';

const scanner = compileScanner(['card', 'ssn', 'email']);

/** Splices `text` with the scanner's hits; `fields` maps property names to their rule. */
function splice(text: string, fields: Record<string, 'mask' | 'remove'> = {}, maxDepth = 64): { out: string | undefined; counted: number } {
  let counted = 0;
  const rules: SpliceRules = {
    keyLengths: new Set(Object.keys(fields).map((k) => k.length)),
    action: (name) => fields[name],
    replace: (hit) => { counted++; return scanner.maskHit(text, hit, 'partial'); },
  };
  return { out: spliceJson(text, scanner.scan(text), rules, maxDepth), counted };
}

const valid = (text: string) => { try { JSON.parse(text); return true; } catch { return false; } };

/** A seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('spliceJson: masking a JSON text where it stands', () => {
  test('values are masked in place; everything else is kept byte for byte (spacing, big integers, key order)', () => {
    const text = '{ "b": 12345678901234567890, "1": "4111 1111 1111 1111",\n  "c": [1.50, "ssn 123-45-6789"] }';
    assert.equal(splice(text).out, '{ "b": 12345678901234567890, "1": "**** **** **** 1111",\n  "c": [1.50, "ssn ***-**-6789"] }');
  });

  test('attack: a card as a key, a number, or nested deeper than the walk goes is left alone and not counted, as the walk does', () => {
    const text = '{"4111111111111111":4111111111111111,"x":"4111111111111111"}';
    assert.deepEqual(splice(text), { out: '{"4111111111111111":4111111111111111,"x":"************1111"}', counted: 1 });
    const deep = `${'['.repeat(3)}"4111111111111111"${']'.repeat(3)}`;
    // maxDepth counts from 0 at the outermost container, as the walk does.
    assert.equal(splice(deep, {}, 1).out, deep, 'in the third container, below the limit');
    assert.equal(splice(deep, {}, 2).out, '[[["************1111"]]]');
  });

  test('field rules: mask replaces any value (null stays null), remove takes the pair and exactly one comma', () => {
    assert.equal(splice('{"email":{"a":["x"]},"n":null}', { email: 'mask', n: 'mask' }).out, '{"email":"[REDACTED]","n":null}');
    const cases: [string, string][] = [
      ['{"email":"a@b.example"}', '{}'],
      ['{"email":"a@b.example","k":1}', '{"k":1}'],
      ['{"k":1,"email":"a@b.example"}', '{"k":1}'],
      ['{"k":1, "email" : [1, {"email":2}] , "j":2}', '{"k":1 , "j":2}'],
      ['{"email":1,"email":2,"k":3,"email":4}', '{"k":3}'],
      ['[{"email":1},{"k":{"email":"4111111111111111"}}]', '[{},{"k":{}}]'],
    ];
    for (const [text, expected] of cases) {
      const { out } = splice(text, { email: 'remove' });
      assert.equal(out, expected, text);
      assert.ok(valid(out!), out);
    }
    // Hits inside a removed or masked value are not counted: the walk never looks inside them.
    assert.equal(splice('{"email":"4111111111111111","x":"4111111111111111"}', { email: 'remove' }).counted, 1);
  });

  test('accepts exactly what JSON.parse accepts (texts without backslashes, seeded mutations of valid JSON)', () => {
    const seeds = ['{"a":[1,-2.5e+3,true,false,null,{"b":"c d"}],"e":{}}', '[ ]', '"x"', '0', '-0.0E-0', '{"a" : { "b" : [ [ ] , { } ] } }\n'];
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', ' ', '\n', '\t', '\u0001', '0', '1', '-', '+', '.', 'e', 'E', 'tru', 'nul', 'x', '\ufeff'];
    const next = random(23);
    let checked = 0;
    for (let round = 0; round < 6000; round++) {
      let text = seeds[round % seeds.length]!;
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
        const at = Math.floor(next() * (text.length + 1));
        const op = next();
        const piece = alphabet[Math.floor(next() * alphabet.length)]!;
        text = op < 0.4 ? text.slice(0, at) + text.slice(at + 1) : op < 0.8 ? text.slice(0, at) + piece + text.slice(at) : text.slice(0, at) + piece + text.slice(at + 1);
      }
      assert.equal(splice(text).out !== undefined, valid(text), JSON.stringify(text));
      if (valid(text)) checked++;
    }
    assert.ok(checked > 300, `${checked} valid mutants`);
    assert.equal(splice('{"a":"x\\"4111111111111111"}').out, undefined, 'escapes are not decoded: such a text is not spliced');
    for (const bad of ['', ' ', '{"a":1,}', '[1,]', '{"a"}', '{"a":1 "b":2}', '01', '1.', '.5', '+1', '1e', '"a\nb"', 'nul', '[1]]', '{"a":1}}', '\ufeff{}']) {
      assert.equal(splice(bad).out, undefined, JSON.stringify(bad));
    }
  });
});
