/**
 * The WAF engine alone (no HTTP), CRS v4 at paranoia level 1, phases 1-2: CPU time per
 * request with the candidate automaton on and off, interleaved request by request in one
 * process (ADR 0006), for the two benign requests of bench/waf.ts and the POST with every
 * value new on each request (what the cross-request caches of ADR 0025 cannot help with);
 * then one 128 KiB bait per kind, inline, to size the worker offload threshold.
 *
 * Usage: node dist/bench/waf-engine.js [--rounds 300] [--baseline DIR]
 * CRS v4 comes from PCL_CRS_DIR or ../shared/conformance/crs-4-rules beside the project.
 *
 * `--baseline DIR` also loads the engine from another build's `dist` (an older commit built
 * into a scratch directory) and interleaves it request by request with this one, so a change
 * is measured before and after in one process under the same load (ADR 0016).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SecLangLoader } from '../src/waf/rules/parser.js';
import type { RuleSet } from '../src/waf/rules/ruleset.js';
import { Transaction, type TransactionInput } from '../src/waf/transaction.js';
import { evaluate } from '../src/waf/engine.js';
import { median } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { BODY, freshBody } from './waf-requests.js';

const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance', 'crs-4-rules');
if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);
const i = process.argv.indexOf('--rounds');
const rounds = i === -1 ? 300 : Number(process.argv[i + 1]);
const b = process.argv.indexOf('--baseline');
const baselineDir = b === -1 ? undefined : resolve(process.argv[b + 1]!);

/** Loads CRS v4 at PL1 with a given build's loader. */
function loadCrs(Loader: typeof SecLangLoader): RuleSet {
  const l = new Loader();
  l.loadString('SecRequestBodyAccess On\nSecRuleEngine On\n', 'bench-preamble');
  l.loadFile(join(crsDir, 'crs-setup.conf.example'));
  l.loadString('SecAction "id:2000000001,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1,setvar:tx.paranoia_level=1"\n', 'bench-settings');
  for (const f of readdirSync(join(crsDir, 'rules')).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(crsDir, 'rules', f));
  return l.finish();
}
const rs = loadCrs(SecLangLoader);


const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const post = (body: string): TransactionInput => ({
  method: 'POST', uri: '/v1/items', body: enc(body),
  headers: [['host', 'localhost'], ['content-type', 'application/json'], ['accept', 'application/json'], ['user-agent', 'portcullis-bench/1.0'], ['content-length', String(body.length)]],
});
const POST = post(BODY);
const GET: TransactionInput = {
    method: 'GET', uri: '/v1/items?q=hobbit+tolkien&page=2&sort=title&lang=en-GB&limit=20',
    headers: [['host', 'localhost'], ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'],
      ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'], ['accept-language', 'en-GB,en;q=0.5'],
      ['accept-encoding', 'gzip, deflate, br'], ['referer', 'http://localhost/v1/'], ['cookie', 'session=3f2a9c1e7b4d; theme=dark'],
      ['upgrade-insecure-requests', '1'], ['sec-fetch-dest', 'document'], ['sec-fetch-mode', 'navigate'], ['sec-fetch-site', 'same-origin']],
};
/** Each request of a kind; the third builds a new body per call. */
const REQS: Record<string, () => TransactionInput> = {
  [`POST ${BODY.length} B JSON`]: () => POST,
  'browser GET, 5 params': () => GET,
  'POST ~1 KB JSON, every value new': () => post(freshBody()),
};

/** CPU microseconds of one request, phases 1-2. */
function cpuOf(req: () => TransactionInput, prune: boolean): number {
  const input = req();
  const t0 = process.cpuUsage();
  const tx = new Transaction(input);
  for (const p of [1, 2]) if (evaluate(rs, tx, p, { prune }).interrupted) throw new Error('a benign request was refused');
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}

for (let k = 0; k < 30; k++) for (const r of Object.values(REQS)) { cpuOf(r, true); cpuOf(r, false); }
console.log(`CRS v4 PL1, phases 1-2, median CPU µs per request over ${rounds} interleaved rounds\n`);
console.log('| request | automaton on | automaton off | on / off |\n|---|---:|---:|---:|');
for (const [name, r] of Object.entries(REQS)) {
  const on: number[] = [];
  const off: number[] = [];
  for (let k = 0; k < rounds; k++) { on.push(cpuOf(r, true)); off.push(cpuOf(r, false)); }
  console.log(`| ${name} | ${median(on).toFixed(0)} | ${median(off).toFixed(0)} | ${(median(on) / median(off)).toFixed(2)} |`);
}

if (baselineDir !== undefined) {
  // Another build's engine, same requests, interleaved with this one request by request.
  const parser = await import(join(baselineDir, 'src/waf/rules/parser.js')) as { SecLangLoader: typeof SecLangLoader };
  const txMod = await import(join(baselineDir, 'src/waf/transaction.js')) as { Transaction: typeof Transaction };
  const engine = await import(join(baselineDir, 'src/waf/engine.js')) as { evaluate: typeof evaluate };
  const baseRs = loadCrs(parser.SecLangLoader);
  const baseCpu = (req: () => TransactionInput): number => {
    const input = req();
    const t0 = process.cpuUsage();
    const tx = new txMod.Transaction(input);
    for (const p of [1, 2]) if (engine.evaluate(baseRs, tx, p).interrupted) throw new Error('a benign request was refused');
    const d = process.cpuUsage(t0);
    return d.user + d.system;
  };
  for (let k = 0; k < 30; k++) for (const r of Object.values(REQS)) { baseCpu(r); cpuOf(r, true); }
  // Rules each build evaluates per request (not skipped by the automaton, the TX probe or the fold).
  const evaluated = (ev: typeof evaluate, T: typeof Transaction, set: RuleSet, r: () => TransactionInput): number => {
    const stats = { skipped: 0, evaluated: 0 };
    const tx = new T(r());
    for (const p of [1, 2]) ev(set, tx, p, { stats });
    return stats.evaluated;
  };
  console.log(`\nRules evaluated per request, baseline → this build: ${Object.entries(REQS).map(([name, r]) => `${name} ${evaluated(engine.evaluate, txMod.Transaction, baseRs, r)} → ${evaluated(evaluate, Transaction, rs, r)}`).join('; ')}`);
  console.log(`\nThis build against ${baselineDir}, median CPU µs per request over ${rounds} interleaved rounds\n`);
  console.log('| request | baseline | this build | this / baseline |\n|---|---:|---:|---:|');
  for (const [name, r] of Object.entries(REQS)) {
    const before: number[] = [];
    const after: number[] = [];
    for (let k = 0; k < rounds; k++) { before.push(baseCpu(r)); after.push(cpuOf(r, true)); }
    console.log(`| ${name} | ${median(before).toFixed(0)} | ${median(after).toFixed(0)} | ${(median(after) / median(before)).toFixed(2)} |`);
  }
}

const K = 128 * 1024;
const BAITS: Array<[string, string, string]> = [
  ['128 KiB form (a...a!)', 'application/x-www-form-urlencoded', `q=${'a'.repeat(K - 3)}!`],
  ['128 KiB JSON (brackets and quotes)', 'application/json', JSON.stringify({ q: `${'(['.repeat(32_768)}${"'\"".repeat(21_842)}` })],
  ['16 KiB form (a...a!)', 'application/x-www-form-urlencoded', `q=${'a'.repeat(16 * 1024 - 3)}!`],
];
console.log('\n| bait, inspected inline | CPU ms |\n|---|---:|');
for (const [name, ct, body] of BAITS) {
  const input: TransactionInput = { method: 'POST', uri: '/v1/items', body: enc(body), headers: [['host', 'localhost'], ['content-type', ct], ['content-length', String(body.length)]] };
  const t0 = process.cpuUsage();
  const tx = new Transaction(input);
  for (const p of [1, 2]) if (evaluate(rs, tx, p).interrupted) break;
  const d = process.cpuUsage(t0);
  console.log(`| ${name} | ${((d.user + d.system) / 1000).toFixed(0)} |`);
}
