import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseBenchArgs } from './args.js';
import { runLoad } from './load.js';
import { startNginx, nginxAnchorMissing } from './nginx.js';
import { cpuUs, freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { markdownTable, medianRow, type RunResult, type TargetSummary } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { BODY, GET_HEADERS, GET_PATH, HEADERS } from './waf-requests.js';

// `node dist/bench/waf.js [--duration N] [--warmup N] [--connections N] [--rounds N] [--stall-only] [--no-stall] [--baseline DIR] [--rate N] [--targets b,c,w,wb,n,m,w1,w1b] [--floor]`:
// two benign scenarios (a 1 KB JSON POST; a browser-like GET with a 5-parameter query)
// through Portcullis with CRS v4 at paranoia level 1, beside pass-through Portcullis and
// the minimal proxy (and nginx with and without ModSecurity + CRS 3.3 when installed),
// in interleaved rounds; then the stall test (128 KiB baits inspected while a steady GET
// load runs: worst event-loop delay inside the gateway and the GETs' p99, with large
// inspections on worker threads and inline); then the bait payloads one at a time.
// `--stall-only` runs only the stall test, `--no-stall` all but it and the baits; `--baseline DIR`
// (another build's project folder, built) adds its WAF gateway as a row (wb) of the two
// scenarios and runs it in the stall test too, in the same rounds: before/after in one run
// (on a loaded machine read the CPU µs per request of w against wb, round by round).
// `--rate N` paces each run to N requests/s (the same load for every target: CPU per request
// depends on how many requests each wake-up serves); `--targets` runs only the rows named;
// `--floor` adds the WAF stage with one custom rule (w1, and w1b for the baseline): its fixed cost.
// The worst event-loop delay is read twice: from the gateway's metric (prom-client, 10 ms
// timer) and from bench/loop-probe.ts preloaded into the gateway (1 ms timer).
// CRS v4 comes from PCL_CRS_DIR or ../shared/conformance/crs-4-rules beside the project.
// See docs/performance.md, "WAF".

const log = (line: string) => process.stderr.write(`${line}\n`);
const PATH = '/v1/items';


interface Scenario { id: string; label: string; path: string; method: string; headers: Record<string, string>; body?: string }
const SCENARIOS: Scenario[] = [
  { id: 'post', label: `benign ${Buffer.byteLength(BODY)}-byte JSON POST`, path: PATH, method: 'POST', headers: HEADERS, body: BODY },
  { id: 'get', label: 'benign browser GET, 5-parameter query', path: GET_PATH, method: 'GET', headers: GET_HEADERS },
];

interface Target { id: string; label: string; start(): Promise<TargetProcess> }
interface Gateway extends TargetProcess {
  adminPort: number;
  loopFile: string;
  /** Writes the gateway's config file again with other stages (for a reload). */
  rewrite(stages: Record<string, unknown>): Promise<void>;
}

/** The admin token of the bench's gateways (loopback only; the reload test calls POST /admin/reload). */
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** Takes this bench's own flags out of argv (parseBenchArgs refuses what it does not know). */
function ownFlags(argv: string[]): { rest: string[]; stallOnly: boolean; noStall: boolean; floor: boolean; baseline: string | undefined; rate: number | undefined; targets: Set<string> | undefined } {
  const rest: string[] = [];
  let stallOnly = false;
  let floor = false;
  let noStall = false;
  let baseline: string | undefined;
  let rate: number | undefined;
  let targets: Set<string> | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--stall-only') stallOnly = true;
    else if (argv[i] === '--no-stall') noStall = true;
    else if (argv[i] === '--floor') floor = true;
    else if (argv[i] === '--baseline') baseline = resolve(argv[++i] ?? '.');
    else if (argv[i] === '--rate') rate = Number(argv[++i]);
    else if (argv[i] === '--targets') targets = new Set((argv[++i] ?? '').split(','));
    else rest.push(argv[i]!);
  }
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate needs a positive number of requests per second');
  return { rest, stallOnly, noStall, floor, baseline, rate, targets };
}

async function main(): Promise<void> {
  const own = ownFlags(process.argv.slice(2));
  const args = parseBenchArgs(own.rest);
  const root = findPackageRoot(import.meta.url);
  const ext = extname(new URL(import.meta.url).pathname);
  const crsDir = process.env['PCL_CRS_DIR'] ?? resolve(root, '..', 'shared', 'conformance', 'crs-4-rules');
  if (!existsSync(crsDir)) throw new Error(`CRS v4 rules not found at ${crsDir}: set PCL_CRS_DIR`);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-waf-'));
  const owned: TargetProcess[] = [];
  try {
    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const probe = new URL(`./loop-probe${ext}`, import.meta.url).href;
    const gateway = async (name: string, stages: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, project = root): Promise<Gateway> => {
      const port = await freePort();
      const adminPort = await freePort();
      const file = join(tmp, `${name}.yaml`);
      const loopFile = join(tmp, `${name}.loop.json`);
      const rewrite = (s: Record<string, unknown>) => writeFile(file, stringify({
        server: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort, token: ADMIN_TOKEN }, logging: { level: 'warn', accessLog: false }, watch: false,
        apis: [{ name, upstream: `http://127.0.0.1:${upstream.port}`, prefixes: ['/'], stages: s }],
      }));
      await rewrite(stages);
      const cli = join(project, 'dist', 'src', 'cli', 'main.js');
      return { ...(await startGatewayProcess(cli, file, port, adminPort, 120_000, { env: { ...env, PCL_BENCH_LOOP_FILE: loopFile }, nodeArgs: ['--import', probe] })), adminPort, loopFile, rewrite };
    };
    if (own.stallOnly) {
      await stallTest(gateway, crsDir, args.rounds, Math.max(5, args.duration), own.baseline);
      return;
    }
    const targets: Target[] = [
      { id: 'b', label: '(b) minimal undici proxy', start: () => startScript(new URL(`./minimal-proxy${ext}`, import.meta.url), { UPSTREAM: `http://127.0.0.1:${upstream.port}`, PORT: '0' }) },
      { id: 'c', label: '(c) Portcullis pass-through', start: () => gateway('pass', {}) },
      { id: 'w', label: '(w) Portcullis + WAF (CRS v4.28, PL1)', start: () => gateway('waf', { waf: { crsDir, paranoiaLevel: 1 } }) },
    ];
    const baseline = own.baseline;
    if (baseline !== undefined) {
      targets.push({ id: 'wb', label: `(wb) baseline build + WAF (${baseline})`, start: () => gateway('waf-baseline', { waf: { crsDir, paranoiaLevel: 1 } }, {}, baseline) });
    }
    if (own.floor) {
      // The stage with one rule that never matches: what the WAF costs before any CRS rule runs.
      const one = { waf: { customRules: 'SecRule ARGS "@streq portcullis-bench-never" "id:1,phase:2,deny"' } };
      targets.push({ id: 'w1', label: '(w1) Portcullis + WAF with one rule (the stage floor)', start: () => gateway('waf-floor', one) });
      if (baseline !== undefined) targets.push({ id: 'w1b', label: '(w1b) baseline build + WAF with one rule', start: () => gateway('waf-floor-baseline', one, {}, baseline) });
    }
    const missing = nginxAnchorMissing();
    if (missing === undefined) {
      targets.push(
        { id: 'n', label: '(n) nginx 1.22 proxy', start: async () => startNginx(tmp, 'plain', await freePort(), upstream.port, false) },
        { id: 'm', label: '(m) nginx + ModSecurity 3.0.9 + CRS 3.3.4, PL1', start: async () => startNginx(tmp, 'modsec', await freePort(), upstream.port, true) },
      );
    } else {
      log(`nginx anchor skipped: ${missing}`);
    }

    const running: Array<{ t: Target; proc: TargetProcess | undefined; runs: Map<string, RunResult[]>; failure: string | undefined }> = [];
    for (const t of targets) {
      if (own.targets !== undefined && !own.targets.has(t.id)) continue;
      try {
        const proc = await t.start();
        owned.push(proc);
        let failure: string | undefined;
        for (const sc of SCENARIOS) {
          const res = await fetch(`http://127.0.0.1:${proc.port}${sc.path}`, { method: sc.method, headers: sc.headers, ...(sc.body === undefined ? {} : { body: sc.body }) });
          await res.arrayBuffer();
          if (res.status !== 200) failure ??= `${sc.method} ${sc.path} answered ${res.status}`;
        }
        running.push({ t, proc, runs: new Map(SCENARIOS.map((sc) => [sc.id, []])), failure });
      } catch (err) {
        running.push({ t, proc: undefined, runs: new Map(), failure: err instanceof Error ? err.message : String(err) });
      }
    }
    log(`${args.rounds} rounds x ${args.duration} s per scenario, ${args.connections} connections`);
    for (let round = 1; round <= args.rounds; round++) {
      for (const sc of SCENARIOS) {
        // Every other round in reverse: neither of two neighbouring rows (w, wb) always goes first.
        for (const r of round % 2 === 1 ? running : [...running].reverse()) {
          if (r.failure !== undefined || r.proc === undefined) continue;
          const load = {
            url: `http://127.0.0.1:${r.proc.port}${sc.path}`, connections: args.connections, method: sc.method, headers: sc.headers,
            ...(sc.body === undefined ? {} : { body: sc.body }), ...(own.rate === undefined ? {} : { overallRate: own.rate }),
          };
          if (args.warmup > 0) await runLoad({ ...load, durationS: args.warmup });
          const before = await cpuUs(r.proc.pid);
          const res = await runLoad({ ...load, durationS: args.duration });
          const after = await cpuUs(r.proc.pid);
          const n = res.rps * args.duration;
          r.runs.get(sc.id)!.push(before === undefined || after === undefined || n === 0 ? res : { ...res, cpuUsPerReq: (after - before) / n });
          log(`round ${round} ${sc.id} ${r.t.label}: ${res.rps.toFixed(0)} req/s, non-2xx ${res.non2xx}`);
        }
      }
    }
    for (const sc of SCENARIOS) {
      const summaries: TargetSummary[] = running.map((r) => ({ id: r.t.id, label: r.t.label, runs: r.runs.get(sc.id) ?? [], ...(r.failure === undefined ? {} : { failure: r.failure }) }));
      console.log(`\n### ${sc.label}\n`);
      console.log(markdownTable(summaries, 'b'));
      const row = (id: string) => { const x = summaries.find((y) => y.id === id); return x && x.runs.length > 0 ? medianRow(x.runs) : undefined; };
      const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? 'n/a' : `${(100 * a / b).toFixed(1)} %`);
      console.log(`\nPortcullis WAF / Portcullis pass-through: ${ratio(row('w')?.rps, row('c')?.rps)} of req/s`);
      if (missing === undefined) {
        console.log(`nginx+ModSecurity+CRS / nginx proxy: ${ratio(row('m')?.rps, row('n')?.rps)} of req/s`);
        console.log(`Portcullis WAF CPU per request / nginx+ModSecurity+CRS's: ${ratio(row('w')?.cpuUsPerReq, row('m')?.cpuUsPerReq)}`);
      }
      if (baseline !== undefined) console.log(baselineRatios(summaries, 'w', 'wb'));
      if (baseline !== undefined && own.floor) console.log(baselineRatios(summaries, 'w1', 'w1b'));
    }

    const waf = running.find((r) => r.t.id === 'w' && r.failure === undefined)?.proc as Gateway | undefined;
    const modsec = running.find((r) => r.t.id === 'm' && r.failure === undefined)?.proc;
    if (waf !== undefined && !own.noStall) {
      await stallTest(gateway, crsDir, args.rounds, Math.max(5, args.duration), own.baseline);
      await bait(waf, modsec);
    }
  } finally {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * This build's WAF against the baseline build's, CPU µs per request: the ratio of each round
 * (the two ran one after the other in it), then their median. On a loaded machine the load
 * moves between rounds more than between two neighbouring runs of one round.
 */
function baselineRatios(summaries: readonly TargetSummary[], thisId: string, baseId: string): string {
  const cpu = (id: string) => (summaries.find((x) => x.id === id)?.runs ?? []).map((r) => r.cpuUsPerReq ?? Number.NaN);
  const w = cpu(thisId);
  const wb = cpu(baseId);
  const perRound = w.map((x, i) => x / (wb[i] ?? Number.NaN)).filter((x) => Number.isFinite(x));
  const med = (id: string) => { const runs = summaries.find((x) => x.id === id)?.runs ?? []; return runs.length === 0 ? Number.NaN : medianRow(runs).cpuUsPerReq; };
  const extra = (id: string) => med(id) - med('c');
  return `(${thisId}) / (${baseId}), CPU µs per request: ${median(perRound).toFixed(3)} (median of ${perRound.length} rounds: ${perRound.map((x) => x.toFixed(3)).join(', ')}); ` +
    `above pass-through: ${extra(thisId).toFixed(0)} µs against ${extra(baseId).toFixed(0)} µs (medians)`;
}

type StartGateway = (name: string, stages: Record<string, unknown>, env?: NodeJS.ProcessEnv, project?: string) => Promise<Gateway>;

/**
 * 128 KiB baits during a steady GET load, `rounds` times, alone and with baits, on: this
 * build with large bodies on a worker, the baseline build (when given), and this build with
 * every inspection inline (without a baseline). One row per run, then the medians.
 */
async function stallTest(gateway: StartGateway, crsDir: string, rounds: number, seconds: number, baseline: string | undefined): Promise<void> {
  const stages = { waf: { crsDir, paranoiaLevel: 1 } };
  const gws: Array<[string, Gateway]> = [['this build, large bodies on a worker', await gateway('waf-stall', stages)]];
  try {
    if (baseline !== undefined) gws.unshift([`baseline (${baseline})`, await gateway('waf-baseline', stages, {}, baseline)]);
    else gws.push(['this build, every inspection inline', await gateway('waf-inline', stages, { PCL_WAF_OFFLOAD_BYTES: '0' })]);
    console.log('\n### Event-loop stalls: 128 KiB baits inspected during a steady browser-GET load (10 connections)\n');
    console.log('| gateway | round | GET load | GET req/s | GET p50 ms | GET p99 ms | worst delay ms, 10 ms timer (metric) | worst delay ms, 1 ms timer (probe) | longest busy stretch, CPU ms | longest GC pause ms | baits inspected |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [, g] of gws) {
      // The first large body may start the worker, which loads the rules (seconds): not what is measured here.
      for (const [headers, body] of STALL_BAITS) await (await fetch(`http://127.0.0.1:${g.port}${PATH}`, { method: 'POST', headers, body })).arrayBuffer();
    }
    type Run = { p99Ms: number; metric: number; probe: number; cpu: number };
    const all = new Map<string, Run[]>();
    const row = (name: string, round: string, load: string, r: Awaited<ReturnType<typeof stall>>) =>
      console.log(`| ${name} | ${round} | ${load} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.maxDelayMs.toFixed(1)} | ${r.probeMaxMs.toFixed(1)} | ${r.cpuGapMs.toFixed(1)} | ${r.gcMaxMs.toFixed(1)} | ${r.baits} |`);
    for (let round = 1; round <= rounds; round++) {
      for (const [name, g] of gws) {
        for (const withBait of [false, true]) {
          const r = await stall(g, withBait, seconds);
          const load = withBait ? 'with baits' : 'alone';
          row(name, String(round), load, r);
          const k = `${name}\u0000${load}`;
          all.set(k, [...(all.get(k) ?? []), { p99Ms: r.p99Ms, metric: r.maxDelayMs, probe: r.probeMaxMs, cpu: r.cpuGapMs }]);
        }
      }
    }
    console.log('\n| gateway | GET load | median GET p99 ms | median worst delay ms, 10 ms timer | median worst delay ms, 1 ms timer | median longest busy stretch, CPU ms | rounds |\n|---|---|---:|---:|---:|---:|---:|');
    for (const [k, runs] of all) {
      const [name, load] = k.split('\u0000');
      const med = (f: (x: Run) => number) => median(runs.map(f)).toFixed(1);
      console.log(`| ${name} | ${load} | ${med((x) => x.p99Ms)} | ${med((x) => x.metric)} | ${med((x) => x.probe)} | ${med((x) => x.cpu)} | ${runs.length} |`);
    }
    console.log('\n### A reload that compiles CRS again (paranoia level 1 <-> 2) while GETs are sent one after another\n');
    console.log('| gateway | round | reload ms | GETs answered during it | slowest GET ms | worst delay ms, 1 ms timer | longest busy stretch, CPU ms |\n|---|---:|---:|---:|---:|---:|---:|');
    for (let round = 1; round <= rounds; round++) {
      for (const [name, g] of gws) {
        const r = await reloadUnderLoad(g, { waf: { crsDir, paranoiaLevel: round % 2 === 1 ? 2 : 1 } });
        console.log(`| ${name} | ${round} | ${r.reloadMs.toFixed(0)} | ${r.answered} | ${r.slowestMs.toFixed(0)} | ${r.probeMaxMs.toFixed(1)} | ${r.cpuGapMs.toFixed(1)} |`);
      }
    }
  } finally {
    await Promise.allSettled(gws.map(([, g]) => g.stop()));
  }
}

/** Rewrites the config with `stages`, reloads through the admin API and sends GETs, one at a time, until the reload answered. */
async function reloadUnderLoad(g: Gateway, stages: Record<string, unknown>): Promise<{ reloadMs: number; answered: number; slowestMs: number; probeMaxMs: number; cpuGapMs: number }> {
  await g.rewrite(stages);
  await probeMaxMs(g);
  let done = false;
  let answered = 0;
  let slowestMs = 0;
  const t0 = performance.now();
  const reload = fetch(`http://127.0.0.1:${g.adminPort}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(600_000) })
    .then(async (res) => { await res.arrayBuffer(); if (res.status !== 200) throw new Error(`reload answered ${res.status}`); })
    .finally(() => { done = true; });
  while (!done) {
    const s = performance.now();
    await (await fetch(`http://127.0.0.1:${g.port}${GET_PATH}`, { headers: GET_HEADERS })).arrayBuffer();
    slowestMs = Math.max(slowestMs, performance.now() - s);
    if (!done) answered++;
  }
  await reload;
  const reloadMs = performance.now() - t0;
  const p = await probe(g);
  return { reloadMs, answered, slowestMs, probeMaxMs: p?.maxMs ?? Number.NaN, cpuGapMs: p?.maxCpuGapMs ?? Number.NaN };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface ProbeReading { maxMs: number; maxCpuGapMs: number; gc: { count: number; totalMs: number; maxMs: number } }

/** The worst delay bench/loop-probe.ts saw in the gateway since its last reading (1 ms timer). */
async function probeMaxMs(g: Gateway): Promise<number> {
  return (await probe(g))?.maxMs ?? Number.NaN;
}

/** bench/loop-probe.ts's reading since the last one: worst delay, longest CPU stretch, GC pauses. */
async function probe(g: Gateway): Promise<ProbeReading | undefined> {
  const since = Date.now();
  process.kill(g.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      const m = JSON.parse(await readFile(g.loopFile, 'utf8')) as ProbeReading & { at: number };
      if (m.at >= since) return m;
    } catch {
      // Not written yet.
    }
  }
  return undefined;
}

/** The worst event-loop delay the gateway saw since the last scrape (prom-client resets its histogram per scrape). */
async function maxLoopDelayMs(g: Gateway): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.adminPort}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text);
  return m === null ? Number.NaN : Number(m[1]) * 1000;
}

/** A 128 KiB form body and a 128 KiB JSON body, both benign-looking but costly to inspect. */
const STALL_BAITS: Array<[Record<string, string>, string]> = [
  [{ ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' }, `q=${'a'.repeat(128 * 1024 - 3)}!`],
  [HEADERS, JSON.stringify({ q: `${'(['.repeat(32_768)}${"'\"".repeat(21_842)}` })],
];

/**
 * A steady GET load for `seconds`; with `withBait`, the baits are sent one after another
 * (each waits for its answer) for as long as the load runs. Returns the GETs' latency and
 * the gateway's worst event-loop delay over the run.
 */
async function stall(g: Gateway, withBait: boolean, seconds: number): Promise<RunResult & { maxDelayMs: number; probeMaxMs: number; cpuGapMs: number; gcMaxMs: number; baits: number }> {
  await maxLoopDelayMs(g);
  await probeMaxMs(g);
  let baits = 0;
  let stop = false;
  const sender = (async () => {
    if (!withBait) return;
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; !stop; i++) {
      const [headers, body] = STALL_BAITS[i % STALL_BAITS.length]!;
      const res = await fetch(`http://127.0.0.1:${g.port}${PATH}`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      baits++;
    }
  })();
  const res = await runLoad({ url: `http://127.0.0.1:${g.port}${GET_PATH}`, connections: 10, durationS: seconds, headers: GET_HEADERS });
  stop = true;
  await sender;
  const p = await probe(g);
  return { ...res, maxDelayMs: await maxLoopDelayMs(g), probeMaxMs: p?.maxMs ?? Number.NaN, cpuGapMs: p?.maxCpuGapMs ?? Number.NaN, gcMaxMs: p?.gc.maxMs ?? Number.NaN, baits };
}

/** The worst-case payloads, one request at a time: time to the answer and the status. */
async function bait(waf: TargetProcess, modsec: TargetProcess | undefined): Promise<void> {
  const form = { ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' };
  const cases: Array<[string, Record<string, string>, string]> = [
    ['1 MB form bait (a...a!), above maxInspectBytes', form, `q=${'a'.repeat(1_000_000)}!`],
    ['130 KB form bait (a...a!), just below maxInspectBytes', form, `q=${'a'.repeat(130_000)}!`],
    ['95 KB JSON bait (brackets and quotes)', HEADERS, JSON.stringify({ q: `${'(['.repeat(25_000)}${"'\"".repeat(15_000)}` })],
    ['16 KB form bait (a...a!)', form, `q=${'a'.repeat(16_000)}!`],
  ];
  console.log('\n| bait payload | target | status | ms |\n|---|---|---:|---:|');
  for (const [what, headers, body] of cases) {
    for (const [name, p] of [['Portcullis + WAF', waf], ['nginx + ModSecurity', modsec]] as const) {
      if (p === undefined) continue;
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${p.port}${PATH}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(600_000) });
      await res.arrayBuffer();
      console.log(`| ${what} (${Buffer.byteLength(body)} bytes) | ${name} | ${res.status} | ${(performance.now() - t0).toFixed(0)} |`);
    }
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
