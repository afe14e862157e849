/**
 * Prints a CRS conformance report (pass rate per rule file, slowest rules).
 * `--crs3` replays CRS v3.3.4's tests against the installed CRS 3.3 rules instead of v4.
 * `--write-known` rewrites the version's known-failures file from this run, keeping the
 * reasons already written for cases that still fail.
 *
 * Usage: npx tsx test/conformance/waf/report.ts [--crs3] [--rules=920460,942130] [--write-known]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runCrs4Suite, runCrs3Suite, caseKey } from './run-suite.js';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { join } from 'node:path';

const crs3 = process.argv.includes('--crs3');
const only = process.argv.find((a) => a.startsWith('--rules='))?.slice(8).split(',').map(Number);
const t0 = performance.now();
const s = crs3 ? runCrs3Suite((c) => !only || only.includes(c.ruleId)) : runCrs4Suite((_f, id) => !only || only.includes(id));
for (const [file, k] of [...s.perFile].sort()) {
  const rate = (100 * k.pass) / Math.max(1, k.pass + k.fail);
  console.log(`${file.padEnd(50)} pass ${String(k.pass).padStart(4)} fail ${String(k.fail).padStart(3)} skip ${String(k.skip).padStart(2)}  ${rate.toFixed(1)}%`);
}
console.log(`TOTAL pass ${s.pass} fail ${s.fail} skip ${s.skip}: ${(100 * s.rate).toFixed(2)}% in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
// Per paranoia level of the rule under test (the `paranoia-level/N` tag), for comparison with
// figures quoted for paranoia level 1 only.
const byLevel = new Map<string, { pass: number; fail: number }>();
for (const r of s.results) {
  if (r.status === 'skip') continue;
  const level = s.ruleSet?.byId(r.case.ruleId)?.tags.find((t) => t.startsWith('paranoia-level/'))?.slice(15) ?? 'untagged';
  const k = byLevel.get(level) ?? { pass: 0, fail: 0 };
  k[r.status]++;
  byLevel.set(level, k);
}
console.log(`by paranoia level of the rule: ${[...byLevel].sort().map(([l, k]) => `PL${l} ${k.pass}/${k.pass + k.fail} (${((100 * k.pass) / (k.pass + k.fail)).toFixed(2)}%)`).join(', ')}`);
console.log(`slowest rules (total ms over the suite): ${s.slowest.map(([id, ms]) => `${id}=${ms.toFixed(0)}`).join(' ')}`);
for (const r of s.results) if (r.status === 'fail') console.log(`FAIL ${caseKey(r)} ${r.reason.slice(0, 160)}`);
if (process.argv.includes('--write-known')) {
  const path = join(findPackageRoot(import.meta.url), 'test/conformance/waf', crs3 ? 'known-failures-crs3.json' : 'known-failures.json');
  let old: Record<string, string> = {};
  try { old = (JSON.parse(readFileSync(path, 'utf8')) as { failures: Record<string, string> }).failures; } catch { /* first run */ }
  const known: Record<string, string> = {};
  for (const r of s.results) if (r.status === 'fail') known[caseKey(r)] = old[caseKey(r)] ?? r.reason.slice(0, 200);
  writeFileSync(path, `${JSON.stringify({ floor: Math.floor(s.rate * 10000) / 10000, failures: known }, null, 2)}\n`);
  console.log(`wrote ${path} (${Object.keys(known).length} entries)`);
}
