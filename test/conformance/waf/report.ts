/**
 * Prints the CRS v4 conformance report (pass rate per rule file, slowest rules).
 * `--write-known` rewrites known-failures.json from this run.
 *
 * Usage: npx tsx test/conformance/waf/report.ts [--write-known]
 */
import { writeFileSync } from 'node:fs';
import { runCrs4Suite, caseKey } from './run-suite.js';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { join } from 'node:path';

const t0 = performance.now();
const s = runCrs4Suite();
for (const [file, k] of [...s.perFile].sort()) {
  const rate = (100 * k.pass) / Math.max(1, k.pass + k.fail);
  console.log(`${file.padEnd(50)} pass ${String(k.pass).padStart(4)} fail ${String(k.fail).padStart(3)} skip ${String(k.skip).padStart(2)}  ${rate.toFixed(1)}%`);
}
console.log(`TOTAL pass ${s.pass} fail ${s.fail} skip ${s.skip}: ${(100 * s.rate).toFixed(2)}% in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`slowest rules (total ms over the suite): ${s.slowest.map(([id, ms]) => `${id}=${ms.toFixed(0)}`).join(' ')}`);
if (process.argv.includes('--write-known')) {
  const known: Record<string, string> = {};
  for (const r of s.results) if (r.status === 'fail') known[caseKey(r)] = r.reason.slice(0, 200);
  writeFileSync(join(findPackageRoot(import.meta.url), 'test/conformance/waf/known-failures.json'), `${JSON.stringify({ floor: Math.floor(s.rate * 10000) / 10000, failures: known }, null, 2)}\n`);
  console.log(`wrote known-failures.json (${Object.keys(known).length} entries)`);
}
