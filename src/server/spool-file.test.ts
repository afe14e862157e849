import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolFile } from './spool-file.js';

const collect = async (f: SpoolFile) => {
  const out: Buffer[] = [];
  for await (const c of f.stream()) out.push(c);
  return Buffer.concat(out);
};

test('a spool file: random 32-hex name, mode 0600, the body read back byte for byte (in 64 KiB reads), removed by dispose', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-spool-'));
  const f = await SpoolFile.create(dir, Buffer.from('head'));
  const body = Buffer.alloc(200_000, 7);
  body.write('start', 0);
  await f.write(body.subarray(0, 70_000));
  await f.write(body.subarray(70_000));
  assert.match(readdirSync(dir)[0]!, /^[0-9a-f]{32}$/);
  assert.equal(statSync(f.path).mode & 0o777, 0o600);
  assert.equal(f.size, body.length);
  assert.deepEqual(await collect(f), body);
  f.dispose();
  f.dispose();
  assert.equal(existsSync(f.path), false);
  assert.deepEqual(readdirSync(dir), []);
});

test('edits replace byte ranges as the file streams, and length counts them; an edit out of order or past the end is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-spool-'));
  const f = await SpoolFile.create(dir, Buffer.alloc(0));
  await f.write(Buffer.from('0123456789'));
  f.replace(2, 4, Buffer.from('abcdef'));
  f.replace(6, 6, Buffer.from('+'));
  f.replace(8, 10, Buffer.alloc(0));
  assert.equal((await collect(f)).toString(), '01abcdef45+67');
  assert.equal(f.length, 13);
  assert.throws(() => f.replace(1, 2, Buffer.alloc(0)), RangeError);
  assert.throws(() => f.replace(9, 11, Buffer.alloc(0)), RangeError);
  f.dispose();
});
