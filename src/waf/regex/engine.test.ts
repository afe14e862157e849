import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hybridRegexEngine, jsRegexEngine, LINEAR_THRESHOLD } from './engine.js';

const long = (s: string): string => 'x'.repeat(LINEAR_THRESHOLD + 10) + s;

test('hybrid engine: long inputs (linear engine) answer like short ones (backtracking), case folding included', () => {
  for (const [pattern, hit, miss] of [
    ['(?i)union\\s+select', 'UNION  Select', 'unionselect'],
    ['^(?i:ab)C', 'ABC', 'ABc'],
    ['[a-z]+=(?i)JAVA', 'x=Java', 'x=jav'],
  ] as const) {
    const h = hybridRegexEngine.compile(pattern);
    const j = jsRegexEngine.compile(pattern);
    assert.ok(j.exec(hit), pattern);
    assert.equal(j.exec(miss), null, pattern);
    const anchored = pattern.startsWith('^');
    assert.ok(h.exec(anchored ? hit + long('') : long(hit)), `${pattern} long hit`);
    assert.equal(h.exec(anchored ? miss + long('') : long(miss)), null, `${pattern} long miss`);
  }
});

test('hybrid engine keeps capture groups on the linear path', () => {
  const h = hybridRegexEngine.compile('(?i)(file|ftp)://([^/]*)');
  assert.deepEqual(h.exec(long('FTP://evil.example/x')), ['FTP://evil.example', 'FTP', 'evil.example']);
});

test('quadratic CRS-style bait on a 1 MB input completes on the linear path with the right answer', () => {
  const h = hybridRegexEngine.compile('[\\-0-9_a-z]+(?:[\\s\\x0b]*["\'][^\\s\\x0b"\',:]+["\']|``)[\\-0-9_a-z]+');
  assert.equal(h.exec('a'.repeat(1_000_000)), null);
});
