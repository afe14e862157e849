import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR, DEBIAN_CRS_DIR, needInput } from '../../../test/helpers/inputs.js';
import { PIECE_LENGTH, validationPieces } from './pieces.js';
import { compileRe2, re2jsRegexEngine } from './re2js-engine.js';
import { nativeRe2, re2RegexEngine } from './re2-engine.js';
import { runSteps } from '../steps.js';
import { UnsupportedPatternError } from './translate.js';

const accepts = (p: string): boolean => {
  try { compileRe2(p); return true; } catch (e) { if (e instanceof UnsupportedPatternError) return false; throw e; }
};

/** Every @rx pattern of the rule files in `dir`. */
function rxPatterns(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/"@rx ((?:[^"\\]|\\.)*)"/g)) out.push(m[1]!.replace(/\\"/g, '"'));
  }
  return out;
}

test('a pattern up to the piece length is its own piece; a longer one is cut at alternatives, before groups and out of long groups', () => {
  assert.deepEqual(validationPieces('(?i)union\\s+select'), ['(?i)union\\s+select']);
  assert.deepEqual(validationPieces('(?i)\\b(?:select|union)\\s+(?:from|into)', 24), ['(?i)\\b', '(?:select|union)\\s+', '(?:from|into)']);
  const long = `(?i)(?:${'abcdefgh|'.repeat(8)}z)\\s`;
  assert.deepEqual(validationPieces(long, 40), [`${'abcdefgh|'.repeat(3)}abcdefgh`, `${'abcdefgh|'.repeat(4)}z`, '(?i)(?:x)\\s']);
  // Brackets and bars inside classes, escapes and lookarounds are not structure.
  const tricky = `[(|]\\(\\|(?<!a|b)${'(?:q[)]|r)'.repeat(6)}[[:alpha:]|]`;
  for (const p of validationPieces(tricky, 20)) assert.ok(accepts(p), p);
  assert.ok(validationPieces(tricky, 20).some((p) => p.startsWith('[(|]\\(\\|(?<!a|b)')), 'the lookbehind stays whole with what precedes it');
  // What the scanner cannot delimit is checked whole.
  for (const p of ['(?#a(b)c)'.padEnd(40, 'x'), `\\Q(|\\E${'y'.repeat(40)}`, `(${'z'.repeat(40)}`]) assert.deepEqual(validationPieces(p, 16), [p]);
});

const crsV4 = join(CONFORMANCE_DIR, 'crs-4-rules', 'rules');
const skipV4 = needInput('CRS v4 rules', crsV4, 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR');
test('CRS v4 and 3.3: re2js accepts every piece exactly when it accepts the whole, at any piece length; CRS v4 pieces fit PIECE_LENGTH', { skip: skipV4 }, () => {
  const patterns = [...rxPatterns(crsV4), ...(existsSync(join(DEBIAN_CRS_DIR, 'rules')) ? rxPatterns(join(DEBIAN_CRS_DIR, 'rules')) : [])];
  let split = 0;
  for (const p of patterns) {
    const whole = accepts(p);
    for (const max of [64, 256, PIECE_LENGTH]) {
      const pieces = validationPieces(p, max);
      if (pieces.length > 1) split++;
      assert.equal(pieces.every(accepts), whole, `${p.slice(0, 60)} at ${max}`);
    }
  }
  for (const p of rxPatterns(crsV4)) for (const piece of validationPieces(p)) assert.ok(piece.length <= PIECE_LENGTH, `${p.slice(0, 60)}: a piece of ${piece.length}`);
  assert.ok(split > 300, `${split} patterns split`);
});

test('a construct re2js refuses deep in a long pattern is refused, also where only the addon would have run it', () => {
  const pad = (inner: string): string => `(?i)(?:${Array.from({ length: 120 }, (_, i) => `w${i}(?:ab|cd)`).join('|')}|x(?:${inner})y)\\s`;
  // `\C` (any byte): the addon compiles it, re2js does not; the others both refuse.
  for (const inner of ['a\\Cb', 'a(?=b)', '(a)\\1', 'a\\Z', '[[:foo:]]', '(?:a{100}){100}', '(?P<n>a)|(?P<n>b)']) {
    const p = pad(inner);
    assert.ok(p.length > PIECE_LENGTH && validationPieces(p).length > 1);
    assert.throws(() => re2jsRegexEngine.compile(p), UnsupportedPatternError, inner);
    assert.throws(() => re2RegexEngine.compile(p), UnsupportedPatternError, inner);
  }
  if (nativeRe2() !== null) assert.doesNotThrow(() => new (nativeRe2()!)(pad('a\\Cb'), 'su'), 'the addon alone accepts \\C');
  const ok = re2RegexEngine.compile(pad('a(?:b|c)'));
  assert.deepEqual(ok.exec('-- W7CD xacy '), ['W7CD ']);
  assert.deepEqual(ok.exec('-- xacy '), ['xacy ']);
});

test('the engine compiles a long pattern in steps: the addon first, then a step per piece', { skip: nativeRe2() === null && 'needs the re2 addon' }, () => {
  const p = `(?i)(?:${Array.from({ length: 400 }, (_, i) => `word${i}`).join('|')})\\b`;
  const steps = re2RegexEngine.compileSteps!(p);
  let yields = 0;
  let s = steps.next();
  while (s.done !== true) { yields++; s = steps.next(); }
  assert.equal(yields, validationPieces(p).length);
  assert.ok(yields >= Math.ceil(p.length / PIECE_LENGTH), `${yields} steps for ${p.length} characters`);
  assert.deepEqual(s.value.exec('x WORD399 y'), ['WORD399']);
  assert.deepEqual(runSteps(re2RegexEngine.compileSteps!(p)).exec('word12'), ['word12']);
});
