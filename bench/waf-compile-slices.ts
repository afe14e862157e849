/**
 * CRS v4 at paranoia level 1 compiled the way a reload compiles it (compileInSlices, ADR 0026),
 * with a turn after every step: the CPU time of each step (process.cpuUsage, the compile is
 * synchronous between turns), the longest ones named by what came before them, and how many
 * steps exceed 10/20/50 ms, for all steps and for those after the directives (the phase plans
 * and each phase's first run). The longest step bounds how long a reload holds the event loop.
 *
 * Usage: node dist/bench/waf-compile-slices.js [--rounds 3] [--baseline DIR] [--top 8]
 * `--baseline DIR` also compiles with another build's dist, alternating with this one round by
 * round in one process (ADR 0016): on a shared machine only the ratios mean something.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { compileInSlices } from '../src/stages/waf/cache.js';
import { ruleSetInputs, ruleSetSteps } from '../src/stages/waf/rules.js';
import { WafSchema, type WafConfig } from '../src/stages/waf/schema.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { median } from './report.js';

const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance', 'crs-4-rules');
if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i === -1 ? undefined : process.argv[i + 1]; };
const rounds = Number(arg('--rounds') ?? 3);
const top = Number(arg('--top') ?? 8);
const baselineDir = arg('--baseline') === undefined ? undefined : resolve(arg('--baseline')!);

type Compile = typeof compileInSlices;
const inputs = ruleSetInputs({ ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1 }, '.');

/** One compile with a turn after every step: each step's CPU milliseconds, in order. */
async function steps(compile: Compile): Promise<number[]> {
  const out: number[] = [];
  let last = process.cpuUsage();
  await compile(inputs, 0, async () => {
    const d = process.cpuUsage(last);
    out.push((d.user + d.system) / 1000);
    await new Promise((r) => setImmediate(r));
    last = process.cpuUsage();
  });
  const d = process.cpuUsage(last);
  out.push((d.user + d.system) / 1000);
  return out;
}

/** How many steps loading the directives takes: the steps after them are the plans. */
function directiveSteps(steps: typeof ruleSetSteps): number {
  const g = steps(inputs);
  let n = 1;
  while (g.next().done !== true) n++;
  return n;
}

const builds: Array<[string, Compile, number]> = [['this build', compileInSlices, directiveSteps(ruleSetSteps)]];
if (baselineDir !== undefined) {
  const mod = await import(join(baselineDir, 'src/stages/waf/cache.js')) as { compileInSlices: Compile };
  const rules = await import(join(baselineDir, 'src/stages/waf/rules.js')) as { ruleSetSteps: typeof ruleSetSteps };
  builds.unshift(['baseline', mod.compileInSlices, directiveSteps(rules.ruleSetSteps)]);
}
const runs = new Map<string, number[][]>(builds.map(([n]) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, compile] of builds) runs.get(name)!.push(await steps(compile));
}

console.log(`CRS v4 PL1 compiled in slices, one turn per step, CPU ms per step, ${rounds} rounds (median over rounds of each figure)\n`);
console.log('| build | steps | total | longest | 2nd | 3rd | steps > 10 ms | > 20 ms | > 50 ms | plan steps | plans total | longest plan step |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, , loads] of builds) {
  const rs = runs.get(name)!;
  const m = (f: (s: number[]) => number): string => median(rs.map(f)).toFixed(1);
  const sorted = (s: number[]): number[] => [...s].sort((a, b) => b - a);
  const plans = (s: number[]): number[] => s.slice(loads);
  console.log(`| ${name} | ${rs[0]!.length} | ${m((s) => s.reduce((a, b) => a + b, 0))} | ${m((s) => sorted(s)[0]!)} | ${m((s) => sorted(s)[1]!)} | ${m((s) => sorted(s)[2]!)} | ${m((s) => s.filter((x) => x > 10).length)} | ${m((s) => s.filter((x) => x > 20).length)} | ${m((s) => s.filter((x) => x > 50).length)} | ${plans(rs[0]!).length} | ${m((s) => plans(s).reduce((a, b) => a + b, 0))} | ${m((s) => sorted(plans(s))[0]!)} |`);
}
for (const [name, , loads] of builds) {
  const last = runs.get(name)!.at(-1)!;
  const idx = last.map((ms, i) => [ms, i] as const).sort((a, b) => b[0] - a[0]).slice(0, top);
  console.log(`\n${name}, last round, the ${top} longest steps (index/steps; the plans start at ${loads}): ${idx.map(([ms, i]) => `#${i} ${ms.toFixed(1)} ms`).join(', ')}`);
}
