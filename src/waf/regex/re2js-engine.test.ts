import { test } from 'node:test';
import assert from 'node:assert/strict';
import { re2jsRegexEngine } from './re2js-engine.js';
import { regexEngine } from './engine.js';
import { relaxPossessive } from './possessive.js';
import { compileKeySelector } from './key-selector.js';
import { UnsupportedPatternError } from './translate.js';
import { operators } from '../operators/builtins.js';
import { Transaction } from '../transaction.js';

test('RE2 (native for long inputs, re2js for short ones) is the default engine', () => {
  assert.equal(regexEngine().name, 're2');
});

test('ModSecurity @rx flags: dot matches newline, $ only at the very end, inline (?i) and (?i:...)', () => {
  const t = (p: string, s: string): boolean => re2jsRegexEngine.compile(p).test?.(s) ?? false;
  assert.equal(t('a.b', 'a\nb'), true);
  assert.equal(t('ab$', 'ab\n'), false);
  assert.equal(t('(?i)union\\s+select', 'UNION  Select'), true);
  assert.equal(t('^(?i:ab)C', 'ABc'), false);
  assert.equal(t('[[:alpha:]]\\x{41}', 'zA'), true);
  assert.equal(t('(?<!&amp);', '&amp;'), false, 'captureless lookbehind (CRS 3.3 920120) runs');
  assert.equal(t('(?<!&amp);', 'x;'), true);
});

test('captures come back as groups 0..n', () => {
  assert.deepEqual(re2jsRegexEngine.compile('(?i)(file|ftp)://([^/]*)').exec('x FTP://evil.example/x'), ['FTP://evil.example', 'FTP', 'evil.example']);
  assert.equal(re2jsRegexEngine.compile('a(b)?').exec('zzz'), null);
});

test('what RE2 cannot express is refused, never run by backtracking', () => {
  for (const p of ['(a)\\1', 'a(?=b)', 'x(?!xml)', '(?>a)', 'a\\Z']) assert.throws(() => re2jsRegexEngine.compile(p), UnsupportedPatternError, p);
});

test('exponential and quadratic bait on long inputs complete with the right answer (automaton, no backtracking)', () => {
  assert.equal(re2jsRegexEngine.compile('(a+)+$').test?.(`${'a'.repeat(100_000)}!`), false);
  assert.equal(re2jsRegexEngine.compile('(?:a|aa)*c').test?.('a'.repeat(100_000)), false);
  assert.equal(re2jsRegexEngine.compile('[\\-0-9_a-z]+(?:[\\s\\x0b]*["\'][^\\s\\x0b"\',:]+["\']|``)[\\-0-9_a-z]+').exec('a'.repeat(1_000_000)), null);
});

test('possessive quantifiers are read as greedy and reported; escapes and classes are left alone', () => {
  assert.deepEqual(relaxPossessive('a\\s*+;[^x]++b'), { source: 'a\\s*;[^x]+b', approximations: ['possessive quantifier read as greedy (matches a superset)'] });
  assert.deepEqual(relaxPossessive('\\++[+]+a{2}'), { source: '\\++[+]+a{2}', approximations: [] });
  assert.deepEqual(relaxPossessive('a{2,3}+b?+c'), { source: 'a{2,3}b?c', approximations: ['possessive quantifier read as greedy (matches a superset)'] });
});

test('key selectors are case-insensitive and run on RE2', () => {
  assert.equal(compileKeySelector('^_ga').test('_GA_123'), true);
  assert.equal(compileKeySelector('^_ga').test('x_ga'), false);
  assert.throws(() => compileKeySelector('(a)\\1'), UnsupportedPatternError);
});

test('@rx with a macro compiles each expansion (CRS 3.3 920480 charset check)', () => {
  const op = operators.get('rx')({ argument: '^%{tx.allowed_charsets}$', baseDir: '', file: 'x.conf', line: 1 });
  const tx = new Transaction({ method: 'GET', uri: '/', headers: [] });
  tx.tx.set('allowed_charsets', 'utf-8|iso-8859-1');
  assert.equal(op.evaluate('utf-8', tx, undefined), true);
  assert.equal(op.evaluate('utf-7', tx, undefined), false);
  tx.tx.set('allowed_charsets', 'utf-7');
  assert.equal(op.evaluate('utf-7', tx, undefined), true);
});
