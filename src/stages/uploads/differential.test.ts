import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../../test/helpers/prng.js';
import { buildMultipart, parseMultipart, type ParsedUpload, type TestPart } from '../../../test/helpers/multipart.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { FileOutcome } from './file-check.js';
import { sanitizeFilename } from './filename.js';
import { MalformedMultipart, MultipartParser, type PartHead } from './multipart.js';
import { renameFiles } from './rename.js';

/** Files as this stage's parser reads them (a field-only view is not needed: files are what is checked). */
function ours(body: Buffer, boundary: string, chunk: number): { field: string; filename: string; data: Buffer }[] {
  const files: { field: string; filename: string; data: Buffer[] }[] = [];
  let current: Buffer[] | undefined;
  const p = new MultipartParser(boundary, {
    part: (h) => { current = h.filename === undefined ? undefined : []; if (current !== undefined) files.push({ field: h.field, filename: h.filename!, data: current }); },
    data: (c) => { current?.push(Buffer.from(c)); },
    partEnd: () => { current = undefined; },
  });
  for (let i = 0; i < body.length; i += chunk) p.write(body.subarray(i, i + chunk));
  p.end();
  return files.map((f) => ({ field: f.field, filename: f.filename, data: Buffer.concat(f.data) }));
}

const theirs = (u: ParsedUpload) => u.files.map((f) => ({ field: f.field, filename: f.filename, data: f.data }));

test('on bodies a client builds, the gateway\'s parser and busboy (an upstream\'s) see the same files, byte for byte, however the body is chunked', async () => {
  const next = prng(15);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const boundary = '----pclDiff0123';
  for (let run = 0; run < 150; run++) {
    const parts: TestPart[] = [];
    for (let i = 0, n = 1 + int(5); i < n; i++) {
      // Contents full of what confuses parsers: CR, LF, dashes, a near-boundary.
      const data = Buffer.from(Array.from({ length: int(300) }, () => pick([0x0d, 0x0a, 0x2d, 0x41, 0x00, 0xff, int(256)])));
      if (next() < 0.3 && data.length > boundary.length + 3) data.set(Buffer.from(`\r\n--${boundary.slice(0, -1)}`), 0);
      parts.push(next() < 0.6
        ? { name: `f${i}`, filename: pick(['a.png', 'ü.txt', 'x y.pdf', '../b.gif', 'n']), type: 'application/octet-stream', data }
        : { name: `v${i}`, data: data.toString('latin1').replace(/[^\x20-\x7e]/g, '') });
    }
    const { body, contentType } = buildMultipart(parts, boundary);
    // busboy keeps only the base name of a path (preservePath: false); the gateway replaces names anyway.
    const expected = theirs(await parseMultipart({ 'content-type': contentType }, body)).map((f) => ({ ...f, filename: f.filename }));
    const got = ours(body, boundary, 1 + int(64)).map((f) => ({ ...f, filename: f.filename.split('/').pop()! }));
    assert.deepEqual(got, expected, `run ${run}`);
  }
});

test('on mutated bodies, whatever the gateway\'s parser accepts, every file busboy reads is a file the gateway checked (never a field to the gateway and a file upstream)', async () => {
  const next = prng(1915);
  const int = (n: number) => Math.floor(next() * n);
  const boundary = 'b0undary';
  const base = buildMultipart([
    { name: 'note', data: 'hello' },
    { name: 'doc', filename: 'a.pdf', type: 'application/pdf', data: '%PDF-1.4 body' },
    { name: 'pic', filename: 'p.png', type: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]) },
  ], boundary).body;
  const alphabet = Buffer.from(' ;="\\\r\n-:*\'filenamFILENAME\t');
  let accepted = 0;
  for (let run = 0; run < 3000; run++) {
    const body = Buffer.from(base);
    for (let k = 0, n = 1 + int(3); k < n; k++) body[int(body.length)] = alphabet[int(alphabet.length)]!;
    let mine: ReturnType<typeof ours>;
    try {
      mine = ours(body, boundary, body.length);
    } catch (err) {
      if (err instanceof MalformedMultipart) continue;
      throw err;
    }
    accepted++;
    let other: ReturnType<typeof theirs>;
    try {
      other = theirs(await parseMultipart({ 'content-type': `multipart/form-data; boundary=${boundary}` }, body));
    } catch {
      continue; // the upstream would refuse it: nothing unchecked gets through
    }
    for (const f of other) {
      assert.ok(mine.some((m) => m.field === f.field && m.data.equals(f.data)), `busboy reads a file the gateway did not check in:\n${JSON.stringify(body.toString('latin1'))}`);
    }
  }
  assert.ok(accepted > 100, `only ${accepted} mutated bodies were accepted: the test needs more that parse`);
});

test('after the names are rewritten, busboy reads the same fields and the same file bytes, under the sanitised names only', async () => {
  const next = prng(2026);
  const int = (n: number) => Math.floor(next() * n);
  const boundary = 'rewr1te';
  for (let run = 0; run < 100; run++) {
    const parts: TestPart[] = [];
    for (let i = 0, n = 1 + int(4); i < n; i++) {
      const data = Buffer.from(Array.from({ length: int(200) }, () => int(256)));
      parts.push(next() < 0.6
        ? { name: `f${i}`, filename: ['../../etc/x y.png', 'ü.txt', '.htaccess', 'a'.repeat(300)][int(4)]!, type: 'image/png', data, headers: next() < 0.5 ? ['X-Extra: kept'] : [] }
        : { name: `v${i}`, data: `value ${i}` });
    }
    const { body, contentType } = buildMultipart(parts, boundary);
    const heads: PartHead[] = [];
    new MultipartParser(boundary, { part: (h) => heads.push(h), data: () => {}, partEnd: () => {} }).write(body);
    const files: FileOutcome[] = heads.filter((h) => h.filename !== undefined).map((h) => ({
      part: h, filename: h.filename, declared: h.contentType, size: 0, sha256: 'ab'.repeat(32), detected: { mime: 'image/png', ext: 'png' }, scan: undefined,
    }));
    const ctx = { body } as unknown as RequestContext;
    renameFiles(ctx, { kind: 'multipart', refusal: undefined, files: Promise.resolve(files), parts: heads }, files, 'sanitize', 'x-original');
    const before = await parseMultipart({ 'content-type': contentType }, body);
    const after = await parseMultipart({ 'content-type': contentType }, ctx.body!);
    assert.deepEqual(after.fields, before.fields);
    assert.deepEqual(after.files.map((f) => [f.field, f.mimeType, f.data]), before.files.map((f) => [f.field, f.mimeType, f.data]));
    assert.deepEqual(after.files.map((f) => f.filename), files.map((f) => sanitizeFilename(f.filename!)));
    // No file: a client-sent copy of the header is removed (null), never passed on.
    assert.equal(ctx.upstreamHeaders?.['x-original'], files.length === 0 ? null : files.map((f) => encodeURIComponent(f.filename!.slice(0, 255))).join(', '));
  }
});
