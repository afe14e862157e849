/**
 * t:utf8toUnicode against libmodsecurity3 itself: random byte strings rich in UTF-8 lead and
 * continuation bytes (valid, overlong, truncated, surrogates, NULs) go through both, outputs
 * must be identical. Runs where g++ and Debian's libmodsecurity-dev are installed (the
 * project's test machines); the fixed cases in testdata/cases.json were taken from it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot } from '../../util/package-root.js';
import { utf8toUnicode } from './url.js';
import { prng } from '../../../test/helpers/prng.js';

const LIB = '/usr/lib/x86_64-linux-gnu/libmodsecurity.so.3';
const skip = existsSync(LIB) ? false : 'libmodsecurity3 is not installed';

const ALPHABET = [0x00, 0x2e, 0x2f, 0x41, 0x7f, 0x80, 0x8f, 0xaf, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf7, 0xf8, 0xff];

test('t:utf8toUnicode gives libmodsecurity3\'s output byte for byte on 3,000 random inputs', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-utf8-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'utf8-to-unicode');
  try {
    execFileSync('g++', ['-O1', '-o', bin, join(findPackageRoot(import.meta.url), 'test/fixtures/modsecurity/utf8-to-unicode.cc'), '-lmodsecurity'], { stdio: 'pipe' });
  } catch (err) {
    t.skip(`cannot build the libmodsecurity harness: ${String(err).slice(0, 200)}`);
    return;
  }
  const next = prng(20261203);
  const inputs: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const len = 1 + Math.floor(next() * 12);
    inputs.push(Buffer.from(Array.from({ length: len }, () => (next() < 0.8 ? ALPHABET[Math.floor(next() * ALPHABET.length)]! : Math.floor(next() * 256)))));
  }
  const r = spawnSync(bin, [], { input: inputs.map((b) => b.toString('hex')).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const expected = r.stdout.split('\n');
  const differ: string[] = [];
  inputs.forEach((b, i) => {
    const got = Buffer.from(utf8toUnicode(b.toString('latin1')).value, 'latin1').toString('hex');
    if (got !== expected[i]) differ.push(`${b.toString('hex')}: modsecurity ${expected[i]} portcullis ${got}`);
  });
  assert.deepEqual(differ.slice(0, 10), []);
});
