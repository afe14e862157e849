/**
 * Replays libinjection's published unit cases (../shared/conformance/libinjection-tests/) against
 * the tokenizer, folder, SQLi verdict and HTML5 tokenizer. With the published keyword and
 * fingerprint tables every case must pass (that checks the algorithm); with the built-in
 * tables a pass-rate floor guards the shipped data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_SQLI_DATA } from './sqli-builtin.js';
import { type SqliData, loadSqliDataFile } from './sqli-data.js';
import { fold } from './sqli-fold.js';
import { isSqli } from './sqli.js';
import { FLAG_QUOTE_NONE, FLAG_SQL_ANSI, SqliState, type SqliToken } from './sqli-state.js';
import { tokenize } from './sqli-tokenizer.js';
import { Html5Tokenizer } from './html5.js';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';

const skip = needInput('libinjection test cases', join(CONFORMANCE_DIR, 'libinjection-tests', 'tests'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR');
const root = skip === false ? join(CONFORMANCE_DIR, 'libinjection-tests') : undefined;

interface Case { file: string; input: string; expected: string }

const rtrim = (s: string): string => s.replace(/[ \n\t\r]+$/, '');
// The reference driver prints values with %s, which stops at a NUL byte.
const cut = (s: string): string => (s.includes('\0') ? s.slice(0, s.indexOf('\0')) : s);

function loadCases(prefix: string): Case[] {
  if (!root) return [];
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
  if (t.type === 's') v = t.strOpen + v + t.strClose;
  if (t.type === 'v') v = '@'.repeat(Math.min(t.count, 2)) + t.strOpen + v + t.strClose;
  return `${t.type} ${v}`;
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

/** Built-in tables: how many cases each category must at least pass (measured, 2026-11). */
const BUILTIN_FLOOR: Record<string, number> = { tokens: 249, folding: 118, sqli: 50 };

for (const [name, prefix, run] of categories) {
  test(`libinjection ${name} cases pass with the published tables`, { skip }, () => {
    const cases = loadCases(prefix);
    assert.ok(cases.length > 0);
    const data = loadSqliDataFile(join(root!, 'data/sqlparse_data.json'));
    assert.deepEqual(failures(cases, run, data), []);
  });
  if (name === 'html5') continue;
  test(`libinjection ${name} cases with the built-in tables stay above the floor`, { skip }, (t) => {
    const cases = loadCases(prefix);
    const failed = failures(cases, run, BUILTIN_SQLI_DATA);
    const passed = cases.length - failed.length;
    t.diagnostic(`${name}: ${passed}/${cases.length} pass; failing: ${failed.join(' ')}`);
    assert.ok(passed >= (BUILTIN_FLOOR[name] ?? 0), `${passed} < floor ${BUILTIN_FLOOR[name]}; failing: ${failed.join(' ')}`);
  });
}
