/**
 * The first requests after the WAF stage is built (CRS v4, PL1): what a freshly started or
 * reloaded gateway's event loop pays before V8 has compiled the code those requests reach.
 * Each sample is a new process (a warm process has nothing to show): it builds the stage, then
 * sends 10 requests of one kind through `inspect` + `respond` and reports the main thread's CPU
 * for them (from /proc, 10 ms ticks: the loop's cost, without V8's background compiler threads),
 * the whole process's CPU for them, and the same per request once warm (requests 150-199).
 *
 * Usage: node dist/bench/waf-first-requests.js [--rounds 5] [--baseline DIR]
 * `--baseline DIR` runs another build's `dist` in the same rounds, alternating: before/after.
 * CRS v4 comes from PCL_CRS_DIR or ../shared/conformance/crs-4-rules beside the project.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import type { Decision, Stage, StageDeps } from '../src/pipeline/stage.js';
import type { createWafStage } from '../src/stages/waf/stage.js';
import type { WafSchema as Schema, WafConfig } from '../src/stages/waf/schema.js';
import { MemoryStore } from '../src/store/index.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { median } from './report.js';
import { freshBody, GET_HEADERS, HEADERS as POST_HEADERS, stageContext, stageResponse } from './waf-requests.js';

const FIRST = 10;
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i === -1 ? undefined : process.argv[i + 1]; };

/** CPU ms of this process's main thread (its task id is the pid), from /proc in clock ticks. */
function mainThreadMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const processMs = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

interface Sample { buildMs: number; firstMain: number; firstProcess: number; warmMain: number }

async function child(dist: string, kind: string): Promise<void> {
  process.env['PCL_WAF_OFFLOAD_BYTES'] = '0';
  process.env['PCL_WAF_TURN_BUDGET_MS'] = '1000';
  const { createWafStage: create } = await import(resolve(dist, 'src/stages/waf/stage.js')) as { createWafStage: typeof createWafStage };
  const { WafSchema } = await import(resolve(dist, 'src/stages/waf/schema.js')) as { WafSchema: typeof Schema };
  const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance', 'crs-4-rules');
  if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);
  const deps: StageDeps = { apiName: 'bench', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }) };
  const b0 = processMs();
  const stage: Stage = create({ ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1 }, deps);
  const buildMs = processMs() - b0;
  const make = kind === 'get'
    ? () => stageContext('GET', '/v1/items', 'q=hobbit+tolkien&page=2&sort=title&lang=en-GB&limit=20', GET_HEADERS)
    : () => stageContext('POST', '/v1/items', '', POST_HEADERS, freshBody());
  const settled = (d: Decision | Promise<Decision>): void => { if (d instanceof Promise || d.kind !== 'continue') throw new Error('a benign request was deferred or refused'); };
  const m0 = mainThreadMs();
  const p0 = processMs();
  let firstMain = 0;
  let firstProcess = 0;
  let warm0 = 0;
  for (let i = 0; i < 200; i++) {
    const ctx = make();
    settled(stage.handlers.inspect!(ctx));
    settled(stage.handlers.respond!(ctx, stageResponse()));
    await new Promise((r) => setImmediate(r));
    if (i === FIRST - 1) { firstMain = mainThreadMs() - m0; firstProcess = processMs() - p0; }
    if (i === 149) warm0 = mainThreadMs();
  }
  const sample: Sample = { buildMs, firstMain, firstProcess, warmMain: (mainThreadMs() - warm0) / 50 };
  process.stdout.write(JSON.stringify(sample));
}

function main(): void {
  const rounds = Number(arg('--rounds') ?? 5);
  const baseline = arg('--baseline');
  const self = fileURLToPath(import.meta.url);
  const here = resolve(findPackageRoot(import.meta.url), 'dist');
  const builds: Array<[string, string]> = [['this build', here], ...(baseline === undefined ? [] : [['baseline', resolve(baseline)] as [string, string]])];
  const samples = new Map<string, Sample[]>();
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['get', 'post']) {
      // Alternate which build goes first: a sample right after another finds the CPU caches warmer.
      for (const [name, dist] of r % 2 === 0 ? builds : [...builds].reverse()) {
        const out = execFileSync(process.execPath, [self, '--child', dist, kind], { encoding: 'utf8', maxBuffer: 1 << 20 });
        const k = `${name}\u0000${kind}`;
        samples.set(k, [...(samples.get(k) ?? []), JSON.parse(out) as Sample]);
      }
    }
  }
  console.log(`CRS v4 PL1, the WAF stage's first ${FIRST} requests in a new process, medians of ${rounds} processes${baseline === undefined ? '' : ` (baseline: ${baseline})`}\n`);
  console.log(`| build | requests | first ${FIRST}: main-thread CPU ms | first ${FIRST}: process CPU ms | warm: main-thread CPU ms per request | stage build, process CPU ms |\n|---|---|---:|---:|---:|---:|`);
  for (const [k, s] of samples) {
    const [name, kind] = k.split('\u0000');
    const med = (f: (x: Sample) => number) => median(s.map(f)).toFixed(0);
    console.log(`| ${name} | ${kind === 'get' ? 'browser GET, 5 params' : 'POST ~1 KB JSON, every value new'} | ${med((x) => x.firstMain)} | ${med((x) => x.firstProcess)} | ${median(s.map((x) => x.warmMain)).toFixed(2)} | ${med((x) => x.buildMs)} |`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
else main();
