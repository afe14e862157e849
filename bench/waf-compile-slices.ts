/**
 * CRS v4 at paranoia level 1 compiled the way a reload compiles it (compileInSlices, ADR 0026),
 * with a turn after every step: the CPU time of each step (process.cpuUsage, the compile is
 * synchronous between turns), the longest ones named by what came before them, and how many
 * steps exceed 10/20/50 ms, for all steps and for those after the directives (the phase plans
 * and each phase's first run). The longest step bounds how long a reload holds the event loop.
 * Process CPU also counts V8's compiler and GC helper threads, which do not hold the loop: on
 * Linux the main thread's own CPU (/proc/self/task/<pid>/schedstat, ns) is shown beside it, and
 * the fresh process's first round (cold code) apart (ADR 0039).
 *
 * Usage: node dist/bench/waf-compile-slices.js [--rounds 3] [--baseline DIR [--only baseline|this]] [--top 8]
 * `--baseline DIR` also compiles with another build's dist, alternating with this one round by
 * round in one process (ADR 0016): on a shared machine only the ratios mean something. The
 * builds share node_modules (re2js), so the second build's first round is not cold: `--only`
 * keeps one of them, to compare first rounds in fresh processes.
 */
import { existsSync, readFileSync } from 'node:fs';
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
const schedstat = `/proc/${process.pid}/task/${process.pid}/schedstat`;
/** This thread's CPU milliseconds, or NaN where /proc has no schedstat. */
const threadMs = existsSync(schedstat) ? (): number => Number(readFileSync(schedstat, 'utf8').split(' ')[0]) / 1e6 : (): number => NaN;
/** Per step: process CPU ms and main-thread CPU ms. */
interface Run { readonly cpu: number[]; readonly main: number[] }
const inputs = ruleSetInputs({ ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1 }, '.');

/** One compile with a turn after every step: each step's CPU milliseconds, in order. */
async function steps(compile: Compile): Promise<Run> {
  const run: Run = { cpu: [], main: [] };
  let last = process.cpuUsage();
  let lastMain = threadMs();
  const take = (): void => {
    const d = process.cpuUsage(last);
    run.cpu.push((d.user + d.system) / 1000);
    run.main.push(threadMs() - lastMain);
  };
  await compile(inputs, 0, async () => {
    take();
    await new Promise((r) => setImmediate(r));
    last = process.cpuUsage();
    lastMain = threadMs();
  });
  take();
  return run;
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
const only = arg('--only');
if (only !== undefined) builds.splice(0, builds.length, ...builds.filter(([n]) => n === (only === 'this' ? 'this build' : only)));
const runs = new Map<string, Run[]>(builds.map(([n]) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, compile] of builds) runs.get(name)!.push(await steps(compile));
}

const sorted = (s: number[]): number[] => [...s].sort((a, b) => b - a);
const over = (s: number[], ms: number): number => s.filter((x) => x > ms).length;
console.log(`CRS v4 PL1 compiled in slices, one turn per step, CPU ms per step, ${rounds} rounds (median over rounds of each figure)\n`);
console.log('| build | steps | total | longest | 2nd | 3rd | steps > 10 ms | > 20 ms | > 50 ms | plan steps | plans total | longest plan step |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, , loads] of builds) {
  const rs = runs.get(name)!.map((r) => r.cpu);
  const m = (f: (s: number[]) => number): string => median(rs.map(f)).toFixed(1);
  const plans = (s: number[]): number[] => s.slice(loads);
  console.log(`| ${name} | ${rs[0]!.length} | ${m((s) => s.reduce((a, b) => a + b, 0))} | ${m((s) => sorted(s)[0]!)} | ${m((s) => sorted(s)[1]!)} | ${m((s) => sorted(s)[2]!)} | ${m((s) => over(s, 10))} | ${m((s) => over(s, 20))} | ${m((s) => over(s, 50))} | ${plans(rs[0]!).length} | ${m((s) => plans(s).reduce((a, b) => a + b, 0))} | ${m((s) => sorted(plans(s))[0]!)} |`);
}
console.log('\nMain thread only (what holds the event loop); round 1 is the fresh process (cold code), the rest warm (median):\n');
console.log('| build | round 1: longest | 2nd | longest directive step | steps > 10 ms | > 20 ms | warm: longest | 2nd | longest directive step | steps > 10 ms | > 20 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, , loads] of builds) {
  const [first, ...rest] = runs.get(name)!.map((r) => r.main);
  const warm = (f: (s: number[]) => number): string => (rest.length === 0 ? '–' : median(rest.map(f)).toFixed(1));
  const directive = (s: number[]): number => sorted(s.slice(0, loads))[0]!;
  console.log(`| ${name} | ${sorted(first!)[0]!.toFixed(1)} | ${sorted(first!)[1]!.toFixed(1)} | ${directive(first!).toFixed(1)} | ${over(first!, 10)} | ${over(first!, 20)} | ${warm((s) => sorted(s)[0]!)} | ${warm((s) => sorted(s)[1]!)} | ${warm(directive)} | ${warm((s) => over(s, 10))} | ${warm((s) => over(s, 20))} |`);
}
for (const [name, , loads] of builds) {
  const last = runs.get(name)!.at(-1)!;
  const idx = last.cpu.map((ms, i) => [ms, i] as const).sort((a, b) => b[0] - a[0]).slice(0, top);
  console.log(`\n${name}, last round, the ${top} longest steps (index/steps; the plans start at ${loads}; process / main-thread CPU ms): ${idx.map(([ms, i]) => `#${i} ${ms.toFixed(1)} / ${last.main[i]!.toFixed(1)}`).join(', ')}`);
}
