/**
 * WAF regex engines side by side, in one process (ADR 0004):
 *  (a) which CRS @rx patterns each engine can compile (CRS v4 shared + CRS 3.3 if installed);
 *  (b) median engine time per request (phases 1-2) for benign traffic on CRS v4 at paranoia
 *      level 1, engines interleaved request by request;
 *  (c) with --bait, one 1 MB catastrophic-backtracking bait body against all CRS rules, per engine.
 *
 * Usage: npx tsx bench/waf-regex.ts [--rounds 60] [--bait]
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SecLangLoader } from '../src/waf/rules/parser.js';
import { setRegexEngine, hybridRegexEngine, v8LinearRegexEngine, type RegexEngine } from '../src/waf/regex/engine.js';
import { re2jsRegexEngine } from '../src/waf/regex/re2js-engine.js';
import { re2RegexEngine } from '../src/waf/regex/re2-engine.js';
import { Transaction, type TransactionInput } from '../src/waf/transaction.js';
import { evaluate } from '../src/waf/engine.js';
import type { RuleSet } from '../src/waf/rules/ruleset.js';
import { median } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';

const CONF = process.env['PCL_CONFORMANCE_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance');
if (!existsSync(join(CONF, 'crs-4-rules'))) throw new Error(`CRS v4 rules not found under ${CONF}: set PCL_CONFORMANCE_DIR`);
const CRS4 = join(CONF, 'crs-4-rules');
const CRS3 = '/usr/share/modsecurity-crs/rules';
const ENGINES: Record<string, RegexEngine> = { 're2js': re2jsRegexEngine, 're2 (native, default)': re2RegexEngine, 'v8-linear': v8LinearRegexEngine, 'v8-hybrid (backtracks <= 1 KB)': hybridRegexEngine };
const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(name); return i === -1 ? dflt : Number(process.argv[i + 1]); };

/** Loads CRS with `engine`; returns the rule set and the patterns the engine refused. */
function load(engine: RegexEngine, setup: string, rulesDir: string, extra = ''): { rs: RuleSet; refused: number; total: number } {
  let refused = 0;
  let total = 0;
  setRegexEngine({ name: engine.name, compile(p) { total++; try { return engine.compile(p); } catch (e) { refused++; throw e; } } });
  const l = new SecLangLoader();
  l.loadFile(setup);
  l.loadString(extra, join(rulesDir, 'bench-setup.conf'));
  for (const f of readdirSync(rulesDir).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(rulesDir, f));
  setRegexEngine(re2jsRegexEngine);
  return { rs: l.finish(), refused, total };
}

const PL1 = 'SecRuleEngine On\nSecRequestBodyAccess On\nSecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"\n';
console.log('(a) patterns an engine cannot run (the rule is reported and never runs)');
const sets: Record<string, RuleSet> = {};
for (const [name, e] of Object.entries(ENGINES)) {
  const v4 = load(e, join(CRS4, 'crs-setup.conf.example'), CRS4 + '/rules', PL1);
  sets[name] = v4.rs;
  const v3 = existsSync(CRS3) ? load(e, '/etc/modsecurity/crs/crs-setup.conf', CRS3) : undefined;
  console.log(`  ${name.padEnd(32)} CRS v4: ${v4.refused}/${v4.total}   CRS 3.3: ${v3 ? `${v3.refused}/${v3.total}` : 'not installed'}`);
}

const json = JSON.stringify({ order: { id: 12345, customer: { name: 'Jane Doe', email: 'jane@example.com', address: { street: '1 Main Street', city: 'Springfield', zip: '12345' } },
  items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${i}`, qty: i + 1, price: 9.99, note: 'gift wrap please' })), comment: 'Please deliver in the afternoon, thanks!' } });
const H: Array<[string, string]> = [['Host', 'localhost'], ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0'], ['Accept', 'application/json']];
const REQS: Record<string, TransactionInput> = {
  'GET with query + cookie': { method: 'GET', uri: '/api/books?author=Tolkien&page=2&sort=title', headers: [...H, ['Cookie', 'session=abc123; theme=dark']] },
  [`POST ${json.length} B JSON`]: { method: 'POST', uri: '/api/orders', headers: [...H, ['Content-Type', 'application/json'], ['Content-Length', String(json.length)]], body: new Uint8Array(Buffer.from(json)) },
};
const run = (rs: RuleSet, r: TransactionInput): void => { const tx = new Transaction(r); for (const p of [1, 2]) evaluate(rs, tx, p); };

const rounds = arg('--rounds', 60);
for (let i = 0; i < 10; i++) for (const rs of Object.values(sets)) for (const r of Object.values(REQS)) run(rs, r);
const times = new Map<string, number[]>();
for (let i = 0; i < rounds; i++) {
  for (const [name, rs] of Object.entries(sets)) {
    for (const [req, r] of Object.entries(REQS)) {
      const t0 = performance.now();
      run(rs, r);
      const k = `${name}|${req}`;
      times.set(k, [...(times.get(k) ?? []), performance.now() - t0]);
    }
  }
}
console.log(`\n(b) median engine time per request, CRS v4 PL1, ${rounds} interleaved rounds`);
for (const req of Object.keys(REQS)) {
  const base = median(times.get(`re2js|${req}`) ?? []);
  for (const name of Object.keys(sets)) {
    const m = median(times.get(`${name}|${req}`) ?? []);
    console.log(`  ${req.padEnd(24)} ${name.padEnd(32)} ${(m * 1000).toFixed(0).padStart(7)} µs  (${(m / base).toFixed(2)}x re2js)`);
  }
}

if (process.argv.includes('--bait')) {
  console.log('\n(c) 1 MB bait body (form field of 1 MB "a") against all CRS v4 rules, phases 1-2');
  const bait = `q=${'a'.repeat(1 << 20)}`;
  const r: TransactionInput = { method: 'POST', uri: '/api/x', headers: [...H, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(bait.length)]], body: new Uint8Array(Buffer.from(bait, 'latin1')) };
  for (const [name, rs] of Object.entries(sets)) {
    const t0 = performance.now();
    run(rs, r);
    console.log(`  ${name.padEnd(32)} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
