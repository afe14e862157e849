/**
 * Replays libinjection's published unit cases (../shared/conformance/libinjection-tests/, relative
 * to the project root) against the tokenizer, folder, SQLi verdict and HTML5 tokenizer, with the
 * tables the project ships: every case must agree with the reference. Also checks that the shipped
 * tables are exactly the published ones (the generated sqli-reference-data.ts is what
 * scripts/gen-libinjection-data.mjs makes of the reference folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_SQLI_DATA } from './sqli-builtin.js';
import { type SqliData, loadSqliDataFile } from './sqli-data.js';
import { detectSQLi } from './index.js';
import { fold } from './sqli-fold.js';
import { isSqli } from './sqli.js';
import { FLAG_QUOTE_NONE, FLAG_SQL_ANSI, SqliState, type SqliToken } from './sqli-state.js';
import { tokenize } from './sqli-tokenizer.js';
import { Html5Tokenizer } from './html5.js';
import { findPackageRoot } from '../../util/package-root.js';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';

const projectRoot = findPackageRoot(import.meta.url);
// Fails (never skips) under CI=true when the shared conformance data is missing (test/helpers/inputs.ts).
const skip = needInput('libinjection test cases', join(CONFORMANCE_DIR, 'libinjection-tests', 'tests'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR');
const root = join(CONFORMANCE_DIR, 'libinjection-tests');

interface Case { file: string; input: string; expected: string }

const rtrim = (s: string): string => s.replace(/[ \n\t\r]+$/, '');
// The reference driver prints values with %s, which stops at a NUL byte.
const cut = (s: string): string => (s.includes('\0') ? s.slice(0, s.indexOf('\0')) : s);

function loadCases(prefix: string): Case[] {
  const dir = join(root, 'tests');
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).sort().map((file) => {
    const text = readFileSync(join(dir, file), 'latin1');
    const m = /^--TEST--\n[\s\S]*?--INPUT--\n([\s\S]*?)--EXPECTED--\n([\s\S]*)$/.exec(text);
    if (!m) throw new Error(`unreadable case file ${file}`);
    return { file, input: rtrim(m[1]!), expected: rtrim(m[2]!) };
  });
}

function showToken(t: SqliToken): string {
  let v = cut(t.val);
  const type = String.fromCharCode(t.type);
  if (type === 's') v = t.strOpen + v + t.strClose;
  if (type === 'v') v = '@'.repeat(Math.min(t.count, 2)) + t.strOpen + v + t.strClose;
  return `${type} ${v}`;
}

type Runner = (input: string, data: SqliData) => string;

const runTokens: Runner = (input, data) => {
  const st = new SqliState(input, FLAG_QUOTE_NONE | FLAG_SQL_ANSI, data);
  const out: string[] = [];
  while (tokenize(st)) out.push(showToken(st.current));
  return out.join('\n');
};

const runFolding: Runner = (input, data) => {
  const st = new SqliState(input, FLAG_QUOTE_NONE | FLAG_SQL_ANSI, data);
  const n = fold(st);
  return st.tokenvec.slice(0, n).map(showToken).join('\n');
};

const runSqli: Runner = (input, data) => {
  const r = isSqli(input, data);
  return r.sqli ? r.fingerprint : '';
};

const runHtml5: Runner = (input) => {
  const h = new Html5Tokenizer(input, 'data');
  const out: string[] = [];
  while (h.next()) out.push(`${h.tokenType},${h.tokenLen},${cut(h.token)}`);
  return out.join('\n');
};

function failures(cases: Case[], run: Runner, data: SqliData): string[] {
  return cases.filter((c) => rtrim(run(c.input, data)) !== c.expected).map((c) => c.file);
}

const categories: [name: string, prefix: string, run: Runner][] = [
  ['tokens', 'test-tokens-', runTokens],
  ['folding', 'test-folding-', runFolding],
  ['sqli', 'test-sqli-', runSqli],
  ['html5', 'test-html5-', runHtml5],
];

for (const [name, prefix, run] of categories) {
  test(`libinjection ${name} cases: the shipped tables agree with the reference on every case`, { skip }, (t) => {
    const cases = loadCases(prefix);
    assert.ok(cases.length > 0);
    t.diagnostic(`${name}: ${cases.length} cases`);
    assert.deepEqual(failures(cases, run, BUILTIN_SQLI_DATA), []);
  });
}

test('the shipped tables are the published keyword table and fingerprint list', { skip }, () => {
  const published = loadSqliDataFile(join(root, 'data/sqlparse_data.json'));
  assert.deepEqual(BUILTIN_SQLI_DATA.keywords, published.keywords);
  assert.deepEqual(BUILTIN_SQLI_DATA.fingerprints, published.fingerprints);
  const listed = readFileSync(join(root, 'data/fingerprints.txt'), 'utf8').split(/\s+/).filter(Boolean).map((f) => f.toUpperCase());
  assert.deepEqual(BUILTIN_SQLI_DATA.fingerprints, new Set(listed));
  assert.ok(published.fingerprints.size > 8000);
});

test('sqli-reference-data.ts is what scripts/gen-libinjection-data.mjs generates from the reference', { skip }, async () => {
  const script = pathToFileURL(join(projectRoot, 'scripts/gen-libinjection-data.mjs')).href;
  const { generate } = await import(script) as { generate: (dir: string) => string };
  const committed = readFileSync(join(projectRoot, 'src/waf/libinjection/sqli-reference-data.ts'), 'utf8');
  assert.equal(committed, generate(root), 'regenerate with: node scripts/gen-libinjection-data.mjs');
});

test('fingerprints outside the reference list are not SQL injection (select 0x616263 is E1)', () => {
  // A hand-made table once flagged these; libinjection does not.
  assert.deepEqual(detectSQLi('select 0x616263'), { sqli: false, fingerprint: '' });
  assert.equal(BUILTIN_SQLI_DATA.fingerprints.has('E1'), false);
  // ...and reference-only fingerprints are now caught (each was missing from the old table).
  assert.deepEqual(detectSQLi("1' UNION ALL SELECT 1,2#"), { sqli: true, fingerprint: 'sUE1o' });
  assert.deepEqual(detectSQLi("1' procedure analyse()#"), { sqli: true, fingerprint: 'sf()o' });
});
