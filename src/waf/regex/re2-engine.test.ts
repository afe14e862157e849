import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';
import { join } from 'node:path';
import { nativeRe2, re2RegexEngine } from './re2-engine.js';
import { re2jsRegexEngine } from './re2js-engine.js';
import { UnsupportedPatternError } from './translate.js';

const native = nativeRe2() !== null;

test('the re2 addon is built (CI installs it; without it re2js runs alone)', { skip: process.env.PCL_REQUIRE_RE2 === '0' }, () => {
  assert.ok(native, 'require("re2") failed: the optional dependency did not build');
});

test('ModSecurity flags hold for short and long inputs: dot matches newline, $ only at the end, inline case folding', () => {
  const pad = 'x'.repeat(100);
  for (const prefix of ['', pad]) {
    const t = (p: string, s: string): boolean => re2RegexEngine.compile(p).test!(prefix + s);
    assert.equal(t('a.b', 'a\nb'), true);
    assert.equal(t('ab$', 'ab\n'), false);
    assert.equal(t('(?i)union\\s+select', 'UNION  Select'), true);
    assert.equal(t('(?i:ab)C', 'ABc'), false);
  }
});

test('captures on short and long inputs', () => {
  const re = re2RegexEngine.compile('(?i)(select)\\s+(\\w+)');
  const long = `${'y'.repeat(100)} SELECT password`;
  assert.deepEqual(re.exec(long), ['SELECT password', 'SELECT', 'password']);
  assert.deepEqual(re.exec('SELECT pw'), ['SELECT pw', 'SELECT', 'pw']);
  assert.equal(re.exec('nothing here'), null);
});

test('what RE2 cannot express is refused, whatever the addon does', () => {
  assert.throws(() => re2RegexEngine.compile('(a)\\1'), UnsupportedPatternError);
  assert.throws(() => re2RegexEngine.compile('a(?=b)'), UnsupportedPatternError);
  // A captureless lookbehind: re2js runs it (the addon refuses it), still in linear time.
  assert.equal(re2RegexEngine.compile('(?<!a)b').test!(`${'c'.repeat(80)}b`), true);
});

const CONF = CONFORMANCE_DIR;
const skipCrs = needInput('CRS v4 rules', join(CONF, 'crs-4-rules'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR') || (!native && 'needs the re2 addon');
test('every CRS v4 pattern answers the same natively as in re2js', { skip: skipCrs }, () => {
  const dir = join(CONF, 'crs-4-rules', 'rules');
  const inputs = [
    "1' UNION SELECT password FROM users--", '<script>alert(1)</script>', '../../etc/passwd', ';cat /etc/passwd', '${jndi:ldap://x}',
    '{"order":{"id":1,"note":"gift wrap please"}}', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', 'eval(base64_decode($x))', '\u00c0\u00ff\u0000',
  ].flatMap((s) => [s, s.padEnd(100, ' ')]);
  let compared = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/"@rx ((?:[^"\\]|\\.)*)"/g)) {
      const p = m[1]!.replace(/\\"/g, '"');
      let js;
      try { js = re2jsRegexEngine.compile(p); } catch { continue; }
      const both = re2RegexEngine.compile(p);
      for (const input of inputs) assert.equal(both.test!(input), js.test!(input), `${p.slice(0, 80)} on ${input.trim()}`);
      compared++;
    }
  }
  assert.ok(compared > 250, `${compared} patterns compared`);
});
