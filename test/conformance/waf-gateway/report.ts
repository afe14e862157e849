/**
 * Prints the gateway replay of the CRS v4 subset: pass / fail / refused-before-WAF / skip,
 * and each failure. `--write-known` rewrites known-failures.json from this run (reasons
 * then need a human pass: see README.md in this folder).
 *
 * Usage (after `npx tsc -p .`): node dist/test/conformance/waf-gateway/report.js [--write-known] [--stride N]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { replayThroughGateway, selectCases } from './replay.js';

const file = join(findPackageRoot(import.meta.url), 'test/conformance/waf-gateway/known-failures.json');
const strideArg = process.argv.indexOf('--stride');
const cases = strideArg > 0 ? selectCases(Number(process.argv[strideArg + 1]), Number.POSITIVE_INFINITY) : selectCases();
const t0 = performance.now();
const s = await replayThroughGateway(cases);
for (const r of s.results) if (r.status === 'fail' || r.status === 'refused') console.log(`${r.status.padEnd(8)} ${r.key.padEnd(12)} ${r.reason}`);
console.log(`cases ${cases.length}: pass ${s.pass} fail ${s.fail} refused-before-waf ${s.refused} skip ${s.skip}: ${(100 * s.rate).toFixed(2)}% in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (process.argv.includes('--write-known')) {
  const old = JSON.parse(readFileSync(file, 'utf8')) as { failures: Record<string, string>; refused: Record<string, string> };
  const failures: Record<string, string> = {};
  const refused: Record<string, string> = {};
  for (const r of s.results) {
    if (r.status === 'fail') failures[r.key] = old.failures[r.key] ?? r.reason;
    if (r.status === 'refused') refused[r.key] = old.refused[r.key] ?? r.reason;
  }
  writeFileSync(file, `${JSON.stringify({ ...old, floor: Math.floor(s.rate * 1000) / 1000, failures, refused }, null, 2)}\n`);
  console.log(`wrote ${file} (${Object.keys(failures).length} failures)`);
}
