import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { transformations } from './builtins.js';
import { UnknownEntryError } from '../registry.js';
import { findPackageRoot } from '../../util/package-root.js';
import { join } from 'node:path';

interface Case { name: string; input: string; output?: string; outputHex?: string }
const cases = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'src/waf/transformations/testdata/cases.json'), 'utf8')) as Case[];

for (const c of cases) {
  test(`t:${c.name} ${JSON.stringify(c.input)}`, () => {
    const r = transformations.get(c.name)(c.input);
    if (c.outputHex !== undefined) assert.equal(Buffer.from(r.value, 'latin1').toString('hex'), c.outputHex);
    else assert.equal(r.value, c.output);
    if (c.name !== 'length' && c.name !== 'md5' && c.name !== 'sha1') assert.equal(r.changed, r.value !== c.input);
  });
}

test('every transformation CRS v4 uses is registered', () => {
  for (const n of ['base64Decode', 'cmdLine', 'compressWhitespace', 'cssDecode', 'escapeSeqDecode', 'hexEncode', 'htmlEntityDecode',
    'jsDecode', 'length', 'lowercase', 'none', 'normalizePath', 'normalizePathWin', 'removeCommentsChar', 'removeNulls',
    'removeWhitespace', 'replaceComments', 'sha1', 'urlDecodeUni', 'utf8toUnicode']) assert.ok(transformations.has(n), n);
});

test('unknown transformation names list the known ones', () => {
  assert.throws(() => transformations.get('nope'), (e: unknown) => e instanceof UnknownEntryError && /known: .*lowercase/.test(e.message));
});

test('double URL encoding is decoded one layer per urlDecodeUni (rules chain it)', () => {
  const once = transformations.get('urlDecodeUni')('%253cscript%253e').value;
  assert.equal(once, '%3cscript%3e');
  assert.equal(transformations.get('urlDecodeUni')(once).value, '<script>');
});
