import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isGatewayError } from '../errors/index.js';
import { readBounded } from './body.js';
import { spoolDirIn } from './spool-dir.js';
import { SpoolFile } from './spool-file.js';

const base = mkdtempSync(join(tmpdir(), 'pcl-spool-read-'));
const spool = { thresholdBytes: 1024, dir: base };
const files = () => readdirSync(spoolDirIn(base));

function body(chunks: Buffer[], fail?: Error): IncomingMessage {
  const s = new PassThrough();
  setImmediate(() => {
    for (const c of chunks) s.write(c);
    if (fail !== undefined) s.destroy(fail);
    else s.end();
  });
  return s as unknown as IncomingMessage;
}

const collect = async (f: SpoolFile) => {
  const out: Buffer[] = [];
  for await (const c of f.stream()) out.push(c);
  return Buffer.concat(out);
};

test('at or below the threshold the body stays in memory; above it, a file with every byte and the head kept', async () => {
  const small = await readBounded(body([Buffer.alloc(1024, 1)]), 1 << 20, [], spool);
  assert.ok(Buffer.isBuffer(small));
  assert.deepEqual(files(), []);
  const chunks = [Buffer.alloc(700, 1), Buffer.alloc(700, 2), Buffer.alloc(5000, 3)];
  const seen: number[] = [];
  const big = await readBounded(body(chunks), 1 << 20, [{ write: (c) => seen.push(c.length), end() {}, abort() {} }], spool);
  assert.ok(big instanceof SpoolFile);
  assert.equal(seen.reduce((a, b) => a + b, 0), 6400, 'observers see every byte as before');
  assert.equal(big.size, 6400);
  assert.deepEqual(big.head, Buffer.concat(chunks).subarray(0, 1024));
  assert.deepEqual(await collect(big), Buffer.concat(chunks));
  big.dispose();
  assert.deepEqual(files(), []);
});

test('a body that fails mid-read (client gone) or passes the limit removes its file and aborts the observers', async () => {
  let aborted = 0;
  const observer = { write() {}, end() {}, abort() { aborted += 1; } };
  await assert.rejects(readBounded(body([Buffer.alloc(3000)], new Error('client went away')), 1 << 20, [observer], spool), /client went away/);
  assert.deepEqual(files(), []);
  await assert.rejects(readBounded(body([Buffer.alloc(3000), Buffer.alloc(3000)]), 4000, [observer], spool), (e: unknown) => isGatewayError(e) && e.code === 'PCL_BODY_TOO_LARGE');
  assert.deepEqual(files(), []);
  assert.equal(aborted, 2);
});

test('a private directory removed under the gateway (a tmp cleaner) is made again; a base that is gone too answers 500 PCL_INTERNAL, the path only in the internal detail', async () => {
  const first = spoolDirIn(base);
  rmSync(first, { recursive: true });
  const f = await readBounded(body([Buffer.alloc(3000)]), 1 << 20, [], spool);
  assert.ok(f instanceof SpoolFile);
  assert.notEqual(spoolDirIn(base), first);
  f.dispose();
  rmSync(base, { recursive: true });
  await assert.rejects(readBounded(body([Buffer.alloc(3000)]), 1 << 20, [], spool), (e: unknown) => isGatewayError(e) && e.code === 'PCL_INTERNAL' && e.status === 500 && !String(e.detail).includes(base));
});
