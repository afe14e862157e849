/**
 * The WAF stage alone (no sockets), CRS v4 at paranoia level 1: CPU time per request of its
 * two handlers as the pipeline calls them, `inspect` (request phases 1-2, the Transaction,
 * the decision) and `respond` (phases 3-4 on a response without a body the rules see), for
 * the requests of bench/waf-engine.ts. What it adds to bench/waf-engine.ts is everything the
 * stage does around the engine (ADR 0029); what it leaves out is the HTTP path (bench/waf.ts).
 *
 * Usage: node dist/bench/waf-stage.js [--rounds 300] [--baseline DIR] [--floor]
 * `--baseline DIR` loads the stage from another build's `dist` too and interleaves the two
 * request by request in this process: before/after under the same load. `--floor` replaces CRS
 * with one custom rule that never matches: what the stage costs around any rule set.
 * CRS v4 comes from PCL_CRS_DIR or ../shared/conformance/crs-4-rules beside the project.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { RequestContext } from '../src/pipeline/context.js';
import type { Decision, Stage, StageDeps } from '../src/pipeline/stage.js';
import type { createWafStage } from '../src/stages/waf/stage.js';
import { WafSchema, type WafConfig } from '../src/stages/waf/schema.js';
import { MemoryStore } from '../src/store/index.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { median } from './report.js';
import { BODY, freshBody, GET_HEADERS, HEADERS as POST_HEADERS, stageContext, stageResponse } from './waf-requests.js';

// Inline, synchronous inspections only: no worker thread compiling CRS beside the measurement
// (process.cpuUsage counts every thread), and a turn budget no request here exhausts.
process.env['PCL_WAF_OFFLOAD_BYTES'] = '0';
process.env['PCL_WAF_TURN_BUDGET_MS'] = '1000';

const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance', 'crs-4-rules');
if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i === -1 ? undefined : process.argv[i + 1]; };
const rounds = Number(arg('--rounds') ?? 300);
const baselineDir = arg('--baseline') === undefined ? undefined : resolve(arg('--baseline')!);

const floor = process.argv.includes('--floor');
const cfg: WafConfig = floor
  ? { ...(Value.Default(WafSchema, {}) as WafConfig), customRules: 'SecRule ARGS "@streq portcullis-bench-never" "id:1,phase:2,deny"' }
  : { ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1 };
const deps: StageDeps = { apiName: 'bench', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }) };


const context = stageContext;
const response = stageResponse;
const REQS: Record<string, () => RequestContext> = {
  [`POST ${BODY.length} B JSON`]: () => context('POST', '/v1/items', '', POST_HEADERS, BODY),
  'browser GET, 5 params': () => context('GET', '/v1/items', 'q=hobbit+tolkien&page=2&sort=title&lang=en-GB&limit=20', GET_HEADERS),
  'POST ~1 KB JSON, every value new': () => context('POST', '/v1/items', '', POST_HEADERS, freshBody()),
};

const cpu = (): number => { const c = process.cpuUsage(); return c.user + c.system; };
const settled = (d: Decision | Promise<Decision>): Decision => {
  if (d instanceof Promise || d.kind !== 'continue') throw new Error('a benign request was deferred or refused');
  return d;
};
/** CPU µs of one request's inspect and respond handlers. */
function once(stage: Stage, make: () => RequestContext): [number, number] {
  const ctx = make();
  const res = response();
  const t0 = cpu();
  settled(stage.handlers.inspect!(ctx));
  const t1 = cpu();
  settled(stage.handlers.respond!(ctx, res));
  const t2 = cpu();
  return [t1 - t0, t2 - t1];
}
// The turn budget closes its turn in a check-phase callback: let it run between requests.
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const builds: Array<[string, Stage]> = [];
if (baselineDir !== undefined) {
  const mod = await import(join(baselineDir, 'src/stages/waf/stage.js')) as { createWafStage: typeof createWafStage };
  builds.push(['baseline', mod.createWafStage(cfg, deps)]);
}
const { createWafStage: create } = await import('../src/stages/waf/stage.js');
builds.push(['this build', create(cfg, deps)]);

for (let k = 0; k < 30; k++) for (const make of Object.values(REQS)) for (const [, s] of builds) { once(s, make); await turn(); }
console.log(`${floor ? 'One custom rule' : 'CRS v4 PL1'}, the WAF stage's handlers, median CPU µs per request over ${rounds} interleaved rounds${baselineDir === undefined ? '' : ` (baseline: ${baselineDir})`}\n`);
const cols = builds.flatMap(([b]) => [`${b}: inspect`, `${b}: respond`, `${b}: both`]);
console.log(`| request | ${cols.join(' | ')} |${builds.length === 2 ? ' this / baseline, both |' : ''}\n|---|${cols.map(() => '---:').join('|')}|${builds.length === 2 ? '---:|' : ''}`);
for (const [name, make] of Object.entries(REQS)) {
  const runs = builds.map(() => ({ inspect: [] as number[], respond: [] as number[], both: [] as number[] }));
  for (let k = 0; k < rounds; k++) {
    // Which build goes first alternates: the second of two back-to-back requests runs with warmer CPU caches.
    const order = k % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
    for (const i of order) {
      const [a, b] = once(builds[i]![1], make);
      runs[i]!.inspect.push(a);
      runs[i]!.respond.push(b);
      runs[i]!.both.push(a + b);
    }
    await turn();
  }
  const cells = runs.flatMap((r) => [median(r.inspect), median(r.respond), median(r.both)]);
  const ratio = runs.length === 2 ? ` ${(median(runs[1]!.both) / median(runs[0]!.both)).toFixed(2)} |` : '';
  console.log(`| ${name} | ${cells.map((c) => c.toFixed(0)).join(' | ')} |${ratio}`);
}
