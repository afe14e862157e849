import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';
import { join } from 'node:path';
import { requiredLiterals, withPrefilter } from './prefilter.js';
import { re2jsRegexEngine } from './re2js-engine.js';

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
