/**
 * What a 128 KiB bait costs the event loop through the WAF stage alone (no HTTP), CRS v4 at
 * paranoia level 1 with response inspection: the stage's inspect (the body goes to a worker)
 * and respond phases, baits one after another. Reports the event loop's busy time per bait
 * (performance.eventLoopUtilization: this thread only, the worker's inspection excluded) and
 * the worst event-loop delay (monitorEventLoopDelay, 1 ms resolution) while nothing else runs,
 * i.e. the longest synchronous stretch. With `--baseline DIR` (another build's dist/ folder) the
 * same for that build, in a child process each, alternating: before/after in one run (ADR 0017).
 *
 * `--response-kib N`: each bait's response is an N KiB HTML page (default: 31 bytes), so the
 * response phases have a body to scan (ADR 0026 sends large ones to the worker).
 *
 * Usage: node dist/bench/waf-bait-loop.js [--baits 10] [--rounds 2] [--response-kib N] [--baseline DIR]
 * CRS v4 comes from PCL_CRS_DIR or ../shared/conformance/crs-4-rules beside the project.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import type { RequestContext, ResponseContext } from '../src/pipeline/context.js';
import type { Decision, Stage, StageDeps } from '../src/pipeline/stage.js';
import type { WafConfig } from '../src/stages/waf/schema.js';
import { findPackageRoot } from '../src/util/package-root.js';

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i === -1 ? undefined : process.argv[i + 1]; };
const BAITS = Number(arg('--baits') ?? 10);
const ROUNDS = Number(arg('--rounds') ?? 2);
const RESPONSE_KIB = Number(arg('--response-kib') ?? 0);
const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance', 'crs-4-rules');
if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);

const HEADERS = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'portcullis-bench/1.0' };
/** The stall baits of bench/waf.ts: a 128 KiB form body and a 128 KiB JSON body. */
const STALL_BAITS: Array<[Record<string, string>, string]> = [
  [{ ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' }, `q=${'a'.repeat(128 * 1024 - 3)}!`],
  [HEADERS, JSON.stringify({ q: `${'(['.repeat(32_768)}${"'\"".repeat(21_842)}` })],
];

/** Runs in a child: loads the stage of the build at `dist` and measures the baits. */
async function measure(dist: string): Promise<void> {
  const load = async <T>(path: string): Promise<T> => await import(pathToFileURL(join(dist, path)).href) as T;
  const { createWafStage } = await load<{ createWafStage: (c: WafConfig, d: StageDeps) => Stage }>('src/stages/waf/stage.js');
  const { WafSchema } = await load<{ WafSchema: Parameters<typeof Value.Default>[0] }>('src/stages/waf/schema.js');
  const { MemoryStore } = await load<{ MemoryStore: new (o: { maxKeys: number }) => StageDeps['store'] }>('src/store/index.js');
  const cfg = { ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1, response: { inspect: 'always', maxBodyBytes: 524_288, mimeTypes: ['text/html'] } } as WafConfig;
  const stage = createWafStage(cfg, { apiName: 'bench', operationId: 'post', baseDir: '.', store: new MemoryStore({ maxKeys: 10 }) });
  const ctx = ([headers, body]: [Record<string, string>, string], i: number, method = 'POST'): RequestContext => ({
    id: `bait-${i}`, startedAt: 0n, method, path: '/v1/items', query: method === 'GET' ? 'q=hobbit' : '', headers, rawHeaders: Object.entries(headers).flat(), httpVersion: '1.1',
    client: { ip: '198.51.100.7', peer: '198.51.100.7', port: 1, tls: false, proto: 'http', host: 'localhost' },
    route: { apiName: 'bench', operationId: 'post', pathTemplate: '/v1/items', tags: [], params: {} },
    principal: undefined, body: method === 'GET' ? undefined : Buffer.from(body), findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  });
  const page = RESPONSE_KIB > 0 ? `<html><body>${'<p>Your order was received.</p>\n'.repeat(Math.ceil(RESPONSE_KIB * 1024 / 32))}</body></html>` : '<p>Your order was received.</p>';
  const response: ResponseContext = { status: 200, headers: { 'content-type': 'text/html' }, body: Buffer.from(page), generated: false };
  const one = async (i: number): Promise<Decision['kind']> => {
    const c = ctx(STALL_BAITS[i % STALL_BAITS.length]!, i);
    const d = await stage.handlers.inspect!(c);
    if (d.kind === 'continue' && stage.handlers.respond !== undefined) await stage.handlers.respond(c, response);
    return d.kind;
  };
  // A GET first (the event loop's own plans exist, as under load), then one bait of each kind
  // (the worker starts and loads the rules: seconds, not what is measured).
  await stage.handlers.inspect!(ctx(STALL_BAITS[0]!, -1, 'GET'));
  for (let i = 0; i < STALL_BAITS.length; i++) await one(i);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  const kinds = new Set<string>();
  for (let i = 0; i < BAITS; i++) kinds.add(await one(i));
  const elu = performance.eventLoopUtilization(elu0);
  delay.disable();
  process.stdout.write(`${JSON.stringify({ busyMsPerBait: elu.active / BAITS, worstDelayMs: delay.max / 1e6, decisions: [...kinds] })}\n`);
  process.exit(0);
}

if (process.argv[2] === '--child') {
  await measure(process.argv[3]!);
} else {
  const self = fileURLToPath(import.meta.url);
  const here = resolve(findPackageRoot(import.meta.url), 'dist');
  const baseline = arg('--baseline');
  const builds: Array<[string, string]> = [...(baseline === undefined ? [] : [['baseline build', resolve(baseline)] as [string, string]]), ['this build', here]];
  console.log(`128 KiB baits through the WAF stage (CRS v4 PL1, response inspection on, ${RESPONSE_KIB > 0 ? `${RESPONSE_KIB} KiB` : '31-byte'} HTML responses), ${BAITS} baits per run, ${ROUNDS} rounds`);
  console.log('| build | round | event-loop busy ms per bait | worst event-loop delay ms | decisions |\n|---|---:|---:|---:|---|');
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [name, dist] of builds) {
      const out = spawnSync(process.execPath, [self, '--child', dist, '--baits', String(BAITS), '--response-kib', String(RESPONSE_KIB)], { encoding: 'utf8', env: { ...process.env, PCL_CRS_DIR: crsDir } });
      if (out.status !== 0) { console.log(`| ${name} | ${r} | failed: ${out.stderr.trim().split('\n').pop() ?? ''} | | |`); continue; }
      const m = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { busyMsPerBait: number; worstDelayMs: number; decisions: string[] };
      console.log(`| ${name} | ${r} | ${m.busyMsPerBait.toFixed(2)} | ${m.worstDelayMs.toFixed(1)} | ${m.decisions.join(', ')} |`);
    }
  }
}
