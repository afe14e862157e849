import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchedFile } from './watched-file.js';

test('reloads only after the check interval, keeps the old value on a compile error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-watch-'));
  const file = join(dir, 'f.txt');
  writeFileSync(file, 'one');
  let now = 0;
  let compiles = 0;
  const w = new WatchedFile(file, (t) => { compiles++; if (t === 'bad') throw new Error('bad'); return t; }, 1000, () => now);
  const replace = (text: string) => { writeFileSync(`${file}.tmp`, text); renameSync(`${file}.tmp`, file); };
  replace('two');
  assert.equal(await w.current(), 'one', 'not checked before the interval');
  now = 1000;
  assert.equal(await w.current(), 'two');
  replace('bad');
  now = 2000;
  assert.equal(await w.current(), 'two');
  assert.equal(w.lastError, 'bad');
  now = 3000;
  const before = compiles;
  await w.current();
  assert.equal(compiles, before + 1, 'a broken file is retried until fixed');
  assert.throws(() => new WatchedFile(join(dir, 'missing'), (t) => t, 0), /ENOENT/);
});
