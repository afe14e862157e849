import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';
import { join } from 'node:path';
import { requiredLiterals, withPrefilter } from './prefilter.js';
import { re2jsRegexEngine } from './re2js-engine.js';
import { regexEngine } from './engine.js';
import { prng } from '../../../test/helpers/prng.js';
import { generate, parsePattern } from '../../../test/helpers/random-match.js';

const lits = (p: string) => { const r = requiredLiterals(p); return r === undefined ? undefined : [...r].sort(); };

test('literal sequences, alternations and optional parts', () => {
  assert.deepEqual(lits('(?i)union\\s+select'), ['select']);
  assert.deepEqual(lits('abc'), ['abc']);
  assert.deepEqual(lits('(?:foo|bar)baz'), ['barbaz', 'foobaz']);
  assert.deepEqual(lits('a(?:b|c)?d'), ['abd', 'acd', 'ad']);
  assert.deepEqual(lits('<script[^>]*>'), ['<script']);
  assert.deepEqual(lits('(?i:ONE|Two)\\d'), ['one', 'two']);
  assert.deepEqual(lits('x{3}'), ['xxx']);
  assert.deepEqual(lits('[Aa]dmin'), ['admin']);
});

test('nothing required: the regex always runs', () => {
  for (const p of ['^\\d+$', '.*', 'a|\\d', '(?:abc)?', '[a-z]+', 'a*', '', '(?=abc)', '\\1abc|x', '(?x) a b c']) {
    assert.equal(requiredLiterals(p), undefined, p);
  }
});

test('syntax it does not fully understand gives no prefilter rather than a wrong one', () => {
  for (const p of ['\\Qselect\\E', 'a\\07b', '(?|a|b)', '[abc', '(abc', 'abc\\']) assert.equal(requiredLiterals(p), undefined, p);
});

test('an input lacking every literal skips the engine; answers never change', () => {
  const p = '(?i)\\bunion\\b.{1,100}?\\bselect\\b';
  const re = withPrefilter(re2jsRegexEngine.compile(p), requiredLiterals(p));
  assert.equal(re.test!('UNION ALL SELECT 1'), true);
  assert.equal(re.test!('hello world'), false);
  assert.deepEqual(re.exec('x UNION  SELECT y')?.[0], 'UNION  SELECT');
});

// Soundness over the real rule set: for every CRS @rx pattern and many inputs built from the
// pattern's own literals and from attack-like strings, the prefilter never refuses a match.
const CONF = CONFORMANCE_DIR;
test('CRS v4 patterns: the prefilter never hides a match', { skip: needInput('CRS v4 rules', join(CONF, 'crs-4-rules'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR') }, () => {
  const dir = join(CONF, 'crs-4-rules', 'rules');
  const patterns: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/"@rx ((?:[^"\\]|\\.)*)"/g)) patterns.push(m[1]!.replace(/\\"/g, '"'));
  }
  assert.ok(patterns.length > 200);
  const samples = [
    "1' UNION SELECT password FROM users--", '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '../../etc/passwd',
    ';cat /etc/passwd', '${jndi:ldap://x}', 'SLEEP(5)', '{{7*7}}', 'php://filter', 'javascript:alert(1)', '() { :; };',
    '%3Cscript%3E', 'eval(base64_decode($x))', 'Content-Type: text/html', 'admin\' --', '1 OR 1=1', 'exec xp_cmdshell',
  ];
  let withFilter = 0;
  for (const p of patterns) {
    const lit = requiredLiterals(p);
    if (lit === undefined) continue;
    withFilter++;
    let re;
    try { re = re2jsRegexEngine.compile(p); } catch { continue; }
    const inputs = [...samples, ...[...lit].map((l) => `xx ${l.toUpperCase()} yy`)];
    for (const input of inputs) {
      if (re.test!(input)) assert.equal(withPrefilter(re, lit).test!(input), true, `${p} on ${input}`);
    }
  }
  assert.ok(withFilter > patterns.length / 3, `${withFilter} of ${patterns.length} patterns have a prefilter`);
});

test('optional parts are bridged: a match either has them empty or contains one of their characters', () => {
  // CRS's command-injection shape: evasion characters allowed between the letters of a word.
  const p = String.raw`(?i)b["'\)\[\x5c]*(?:\$[a-z]*)?u["'\)\[\x5c]*(?:\$[a-z]*)?s\b`;
  assert.deepEqual(lits(p), ['"', '$', "'", ')', '[', '\\', 'bus']);
  const re = withPrefilter(re2jsRegexEngine.compile(p), requiredLiterals(p));
  for (const s of ['bus', 'b"u"s', "b'u's", 'b$xu$ys', 'b\\us', 'B)U[S']) assert.equal(re.test!(`run ${s} now`), true, s);
  assert.equal(re.test!('a hobbit bought a bun'), false);
  // A command separator class required at the front: rarer than any letter of the words after it.
  assert.deepEqual(lits(String.raw`(?:[\n\r;\x60\{]|\|\|?|&&?)[\s\x0b]*(?:cat|ls)\b`), ['\n', '\r', '&', ';', '`', '{', '|']);
  // Small ranges are counted out; a set of common letters is not worth checking.
  assert.deepEqual(lits('x[0-3]y'), ['x0y', 'x1y', 'x2y', 'x3y']);
  assert.equal(requiredLiterals('[a-z]+'), undefined);
});

// Random strings generated from each CRS pattern (optional parts filled or left empty at
// random, evasion characters included): every one the engine matches must pass the filter.
test('CRS v4 patterns: no generated match is refused by the prefilter', { skip: needInput('CRS v4 rules', join(CONF, 'crs-4-rules'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR') }, () => {
  const dir = join(CONF, 'crs-4-rules', 'rules');
  const next = prng(11);
  let checked = 0;
  let patterns = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf')).sort()) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/"@rx ((?:[^"\\]|\\.)*)"/g)) {
      const p = m[1]!.replace(/\\"/g, '"');
      const lit = requiredLiterals(p);
      if (lit === undefined) continue;
      let tree;
      let re;
      try { tree = parsePattern(p, next); re = regexEngine().compile(p); } catch { continue; }
      patterns++;
      const filtered = withPrefilter(re, lit);
      for (let k = 0; k < 150; k++) {
        const s = generate(tree, next, k % 3 === 0 ? 0.9 : 0.5);
        for (const input of [s, `xx ${s} yy`]) {
          if (!re.test!(input)) continue;
          checked++;
          assert.equal(filtered.test!(input), true, `${p.slice(0, 80)} on ${JSON.stringify(input)}: a match refused`);
        }
      }
    }
  }
  assert.ok(patterns > 200, `${patterns} patterns generated from`);
  assert.ok(checked > 20_000, `${checked} matching samples checked`);
});
