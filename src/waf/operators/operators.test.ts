import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { operators } from './builtins.js';
import { AhoCorasick } from './aho-corasick.js';
import { Transaction } from '../transaction.js';
import { WafLoadError } from '../rules/errors.js';
import { translatePcre, UnsupportedPatternError } from '../regex/translate.js';
import { findPackageRoot } from '../../util/package-root.js';

interface Case { op: string; arg: string; input: string; match: boolean }
const cases = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'src/waf/operators/testdata/cases.json'), 'utf8')) as Case[];
const tx = new Transaction({ method: 'GET', uri: '/', headers: [] });
const init = (argument: string) => ({ argument, baseDir: '', file: join(tmpdir(), 'x.conf'), line: 1 });

for (const c of cases) {
  test(`@${c.op} ${JSON.stringify(c.arg)} on ${JSON.stringify(c.input)} → ${c.match}`, () => {
    assert.equal(operators.get(c.op)(init(c.arg)).evaluate(c.input, tx, undefined), c.match);
  });
}

test('@rx capture hands groups 0..9 to the rule', () => {
  let got: readonly string[] = [];
  operators.get('rx')(init('(a+)(b)')).evaluate('xaab', tx, (g) => { got = g; });
  assert.deepEqual(got, ['aab', 'aa', 'b']);
});

test('@within and @eq expand macros per transaction', () => {
  const t = new Transaction({ method: 'PUT', uri: '/', headers: [] });
  t.tx.set('allowed_methods', 'GET POST');
  assert.equal(operators.get('within')(init('%{tx.allowed_methods}')).evaluate('PUT', t, undefined), false);
  t.tx.set('n', '3');
  assert.equal(operators.get('eq')(init('%{tx.n}')).evaluate('3', t, undefined), true);
});

test('@pmFromFile reads data files beside the rule file, skipping comments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waf-pm-'));
  writeFileSync(join(dir, 'words.data'), '# comment\n/etc/passwd\n\ncmd.exe\n');
  const op = operators.get('pmFromFile')({ argument: 'words.data', baseDir: dir, file: join(dir, 'r.conf'), line: 3 });
  assert.equal(op.evaluate('GET /ETC/PASSWD', tx, undefined), true);
  assert.equal(op.evaluate('# comment', tx, undefined), false);
  assert.throws(() => operators.get('pmFromFile')({ argument: 'missing.data', baseDir: dir, file: join(dir, 'r.conf'), line: 3 }), WafLoadError);
});

test('Aho-Corasick finds overlapping patterns via failure links', () => {
  const ac = new AhoCorasick(['he', 'she', 'his', 'hers']);
  assert.equal(ac.search('ushers'), 'she');
  assert.equal(ac.search('xxhix'), undefined);
  assert.equal(new AhoCorasick(['abcd', 'bc']).search('abce'), 'bc');
});

test('patterns RE2 cannot express are refused at load', () => {
  assert.throws(() => translatePcre('(a)\\1'), UnsupportedPatternError);
  assert.throws(() => translatePcre('a(?=b)'), UnsupportedPatternError);
  assert.throws(() => translatePcre('a(?<!b)'), UnsupportedPatternError);
  assert.throws(() => translatePcre('(?>a)'), UnsupportedPatternError);
  assert.throws(() => translatePcre('a++'), UnsupportedPatternError);
  assert.deepEqual(translatePcre('(?i)ab'), { source: 'ab', flags: 'si' });
});

test('unknown operator and bad arguments are load errors', () => {
  assert.throws(() => operators.get('nope'), /unknown operator 'nope'/);
  assert.throws(() => operators.get('validateByteRange')(init('300')), WafLoadError);
  assert.throws(() => operators.get('ipMatch')(init('not-an-ip')), WafLoadError);
});

test('@detectSQLi / @detectXSS call the libinjection port; the fingerprint is captured', () => {
  let fp: readonly string[] = [];
  assert.equal(operators.get('detectSQLi')(init('')).evaluate("1' or '1'='1", tx, (g) => { fp = g; }), true);
  assert.equal(fp.length, 1);
  assert.equal(operators.get('detectSQLi')(init('')).evaluate('hello world', tx, undefined), false);
  assert.equal(operators.get('detectXSS')(init('')).evaluate('<script>alert(1)</script>', tx, undefined), true);
  assert.equal(operators.get('detectXSS')(init('')).evaluate('just text', tx, undefined), false);
});
