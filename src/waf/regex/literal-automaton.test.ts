import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiteralAutomaton } from './literal-automaton.js';
import { AhoCorasick } from '../operators/aho-corasick.js';

const owners = (a: LiteralAutomaton, text: string): number[] => {
  const hit = new Uint8Array(a.owners);
  a.scan(text, hit);
  return [...hit.keys()].filter((i) => hit[i] === 1);
};

test('reports every owner whose literal occurs, including literals inside other literals', () => {
  // "she" contains "he", "hers" overlaps "she": only the failure links find all of them.
  const a = new LiteralAutomaton([['he', 0], ['she', 1], ['hers', 2], ['his', 3], ['select', 4], ['union', 4]], 5);
  assert.deepEqual(owners(a, 'ushers'), [0, 1, 2]);
  assert.deepEqual(owners(a, 'this'), [3]);
  assert.deepEqual(owners(a, '1 UNION ALL'), [4]);
  assert.deepEqual(owners(a, 'nothing to see'), []);
  assert.deepEqual(owners(a, ''), []);
});

test('folds ASCII case on the input and lower-cases literals, as @pm and the @rx prefilters do', () => {
  const a = new LiteralAutomaton([['<SCRIPT', 0], ['onerror', 1]], 2);
  assert.deepEqual(owners(a, 'x<ScRiPt>'), [0]);
  assert.deepEqual(owners(a, 'ONERROR='), [1]);
});

test('scan returns how many owners it newly marked, so a caller can stop early', () => {
  const a = new LiteralAutomaton([['ab', 0], ['cd', 1]], 2);
  const hit = new Uint8Array(2);
  assert.equal(a.scan('xxabxx', hit), 1);
  assert.equal(a.scan('abab', hit), 0);
  assert.equal(a.scan('cd', hit), 1);
});

test('an empty literal is ignored rather than matching everything', () => {
  const a = new LiteralAutomaton([['', 0], ['z', 1]], 2);
  assert.deepEqual(owners(a, 'abc'), []);
});

test('agrees with a naive search and with @pm\'s automaton on random inputs (soundness)', () => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = 'abcAB;<>( \u00e9\u0130';
  const word = (min: number, max: number): string => Array.from({ length: min + rnd(max - min + 1) }, () => alphabet[rnd(alphabet.length)]).join('');
  for (let round = 0; round < 200; round++) {
    const lits = Array.from({ length: 1 + rnd(12) }, () => word(1, 4));
    const a = new LiteralAutomaton(lits.map((l, i) => [l, i] as const), lits.length);
    for (let k = 0; k < 20; k++) {
      const text = word(0, 30);
      const folded = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
      const naive = lits.map((l, i) => (folded.includes(l.toLowerCase()) ? i : -1)).filter((i) => i !== -1);
      assert.deepEqual(owners(a, text), naive, `literals ${JSON.stringify(lits)} text ${JSON.stringify(text)}`);
      // Whenever @pm's own automaton finds one of the phrases, this one marks its owner too.
      const pmHit = new AhoCorasick(lits).search(text);
      if (pmHit !== undefined) assert.ok(owners(a, text).length > 0, `pm found ${pmHit} in ${JSON.stringify(text)}`);
    }
  }
});

test('built in steps (a reload in slices), a large automaton yields between pieces of work and scans exactly as one built at once', () => {
  let seed = 11;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = 'abcdefgh<>();/\u00e9\u0130XYZ';
  const word = (min: number, max: number): string => Array.from({ length: min + rnd(max - min + 1) }, () => alphabet[rnd(alphabet.length)]).join('');
  const lits = Array.from({ length: 3000 }, (_, i) => [word(2, 12), i % 40] as const);
  const whole = new LiteralAutomaton(lits, 40);
  const steps = LiteralAutomaton.steps(lits, 40);
  let yields = 0;
  let s = steps.next();
  while (s.done !== true) { yields++; s = steps.next(); }
  const sliced = s.value;
  assert.ok(yields >= 4, `${yields} yields for 3000 literals`);
  assert.equal(sliced.tableBytes, whole.tableBytes);
  for (let k = 0; k < 300; k++) {
    const text = word(0, 60);
    assert.deepEqual(owners(sliced, text), owners(whole, text), JSON.stringify(text));
  }
  // A small set is built in one piece: no yield to pay for.
  const small = LiteralAutomaton.steps([['union', 0], ['select', 1]], 2);
  assert.equal(small.next().done, true);
});
