import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, type BenchArgs } from './args.js';
import { runLoad } from './load.js';
import { cpuUs, rssKb, startScript, type TargetProcess } from './processes.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { growthPercent, markdownTable, type RunResult, type TargetSummary } from './report.js';
import { BENCH_PATH, targetDefs, type TargetDef } from './targets.js';

// `npm run bench`: Portcullis beside its baselines, in one run, on loopback. See docs/performance.md.

interface Running {
  readonly def: TargetDef;
  readonly proc: TargetProcess | undefined;
  readonly runs: RunResult[];
  failure: string | undefined;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const root = findPackageRoot(import.meta.url);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-'));
  const owned: TargetProcess[] = [];
  const cleanup = async () => {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  };
  const onSignal = () => { void cleanup().then(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const defs = targetDefs({
      root, tmp, upstreamPort: upstream.port, accessLog: args.accessLog,
      script: (name) => new URL(`./${name}${ext}`, import.meta.url),
    });
    if (args.soak !== undefined) await soak(args, args.soak, defs.c, owned);
    else await compare(args, args.only.map((id) => defs[id]), owned);
  } finally {
    await cleanup();
  }
}

async function startTarget(def: TargetDef, owned: TargetProcess[]): Promise<Running> {
  try {
    const proc = await def.start();
    owned.push(proc);
    // A target that answers the bench path with anything but 200 would be measured doing
    // the wrong work (e.g. a fast 404), so it is reported as failed instead.
    const res = await fetch(`http://127.0.0.1:${proc.port}${BENCH_PATH}`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    if (res.status !== 200) return { def, proc, runs: [], failure: `GET ${BENCH_PATH} answered ${res.status}, expected 200` };
    return { def, proc, runs: [], failure: undefined };
  } catch (err) {
    return { def, proc: undefined, runs: [], failure: err instanceof Error ? err.message : String(err) };
  }
}

async function measure(t: Running, args: BenchArgs, durationS: number): Promise<RunResult> {
  const url = `http://127.0.0.1:${t.proc!.port}${BENCH_PATH}`;
  if (args.warmup > 0) await runLoad({ url, connections: args.connections, durationS: args.warmup });
  // pid 0 is the shared upstream of the direct target: no process of its own to account.
  const pid = t.proc!.pid;
  const before = pid > 0 ? await cpuUs(pid) : undefined;
  const r = await runLoad({ url, connections: args.connections, durationS });
  const after = before === undefined ? undefined : await cpuUs(pid);
  const responses = r.rps * durationS;
  return after === undefined || before === undefined || responses === 0 ? r : { ...r, cpuUsPerReq: (after - before) / responses };
}

async function compare(args: BenchArgs, defs: readonly TargetDef[], owned: TargetProcess[]): Promise<void> {
  const targets: Running[] = [];
  for (const def of defs) {
    const t = await startTarget(def, owned);
    if (t.failure !== undefined) log(`${def.label}: not measured: ${t.failure}`);
    targets.push(t);
  }
  const passThrough = targets.find((t) => t.def.id === 'c' && t.failure === undefined);
  const rssStart = passThrough?.proc === undefined ? undefined : await rssKb(passThrough.proc.pid);

  // Interleaved (A B C D, A B C D): drift on a shared machine (other load, thermal, GC of a
  // neighbour) then spreads over every target instead of landing on whichever ran last.
  for (let round = 1; round <= args.rounds; round++) {
    for (const t of targets) {
      if (t.failure !== undefined) continue;
      try {
        const r = await measure(t, args, args.duration);
        t.runs.push(r);
        log(`round ${round}/${args.rounds}  ${t.def.label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, CPU ${r.cpuUsPerReq === undefined ? 'n/a' : Math.round(r.cpuUsPerReq)} µs/req`);
      } catch (err) {
        t.failure = err instanceof Error ? err.message : String(err);
        log(`${t.def.label}: failed: ${t.failure}`);
      }
    }
  }
  const rssEnd = passThrough?.proc === undefined ? undefined : await rssKb(passThrough.proc.pid);

  const summaries: TargetSummary[] = targets.map((t) => ({
    id: t.def.id, label: t.def.label, runs: t.runs, ...(t.failure !== undefined ? { failure: t.failure } : {}),
  }));
  const out = [
    `### Proxy benchmark (${new Date().toISOString().slice(0, 10)})`,
    '',
    environment(args),
    '',
    markdownTable(summaries, 'b'),
    '',
    `Median of ${args.rounds} interleaved round(s) per target; non-2xx and errors are totals over all rounds.`,
  ];
  if (rssStart !== undefined && rssEnd !== undefined) {
    out.push(`Portcullis pass-through RSS: ${mb(rssStart)} MB after start, ${mb(rssEnd)} MB after the runs (${signed(growthPercent(rssStart, rssEnd))}).`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function soak(args: BenchArgs, seconds: number, def: TargetDef, owned: TargetProcess[]): Promise<void> {
  const t = await startTarget(def, owned);
  if (t.failure !== undefined || t.proc === undefined) {
    log(`${def.label}: cannot soak: ${t.failure ?? 'not started'}`);
    process.exitCode = 1;
    return;
  }
  const pid = t.proc.pid;
  const booted = await rssKb(pid);
  const url = `http://127.0.0.1:${t.proc.port}${BENCH_PATH}`;
  if (args.warmup > 0) await runLoad({ url, connections: args.connections, durationS: args.warmup });
  const warmed = await rssKb(pid);

  // Sampled during the run too: a steady climb reads differently from one step up.
  const samples: { atS: number; kb: number }[] = [];
  const started = Date.now();
  const every = Math.max(5, Math.round(seconds / 12)) * 1_000;
  const timer = setInterval(() => {
    void rssKb(pid).then((kb) => { if (kb !== undefined) samples.push({ atS: Math.round((Date.now() - started) / 1_000), kb }); });
  }, every);
  let result: RunResult;
  try {
    result = await runLoad({ url, connections: args.connections, durationS: seconds });
  } finally {
    clearInterval(timer);
  }
  const end = await rssKb(pid);

  const out = [
    `### Soak: ${def.label}, ${seconds} s (${new Date().toISOString().slice(0, 10)})`,
    '',
    environment(args),
    '',
    `${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
    '',
    '| moment | RSS MB |',
    '|---|---:|',
    `| after start | ${mb(booted)} |`,
    `| after ${args.warmup} s warm-up | ${mb(warmed)} |`,
    ...samples.map((s) => `| t+${s.atS} s | ${mb(s.kb)} |`),
    `| end (t+${seconds} s) | ${mb(end)} |`,
    '',
    warmed !== undefined && end !== undefined
      ? `RSS growth over the soak (after warm-up → end): ${signed(growthPercent(warmed, end))}`
      : 'RSS not available (needs Linux /proc).',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

function environment(args: BenchArgs): string {
  const cpu = cpus();
  return `Node ${process.version}, ${cpu.length} CPU(s) (${cpu[0]?.model.trim() ?? 'unknown'}), loopback; `
    + `autocannon in the bench process, ${args.connections} connections, ${args.warmup} s warm-up discarded, `
    + `${args.soak ?? args.duration} s measured; gateway access log ${args.accessLog ? 'on' : 'off'}.`;
}

function mb(kb: number | undefined): string {
  return kb === undefined ? 'n/a' : (kb / 1024).toFixed(1);
}

function signed(pct: number): string {
  return Number.isFinite(pct) ? `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %` : 'n/a';
}

main().catch((err: unknown) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

