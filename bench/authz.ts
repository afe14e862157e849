import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parseBenchArgs } from './args.js';
import { BENCH_AUTHZ, benchBody, microBench } from './authz-micro.js';
import { FIXED_BODY } from './fixed-upstream.js';
import { runLoad } from './load.js';
import { cpuUs, freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { medianRow, type RunResult } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';

// `node dist/bench/authz.js [--duration N] [--warmup N] [--connections N] [--rounds N]`:
// a POST with a 1 KB JSON body through request validation + authorization (CEL) + response
// filtering, beside the same POST passed through and the same route without authz, interleaved in one run; then the in-process
// per-request cost of validation + CEL. See docs/performance.md, "Authorization and validation".

const PATH = '/v1/tenants/acme/items/42';
const MICRO_ITERATIONS = 20_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Target { readonly label: string; readonly proc: TargetProcess; readonly runs: RunResult[] }

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const root = findPackageRoot(import.meta.url);
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first`);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-authz-'));
  const owned: TargetProcess[] = [];
  try {
    const upstream = await startScript(new URL(`./fixed-upstream${extname(fileURLToPath(import.meta.url))}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const gateway = async (name: string, api: Record<string, unknown>): Promise<TargetProcess> => {
      const port = await freePort();
      const adminPort = await freePort();
      const file = join(tmp, `${name}.yaml`);
      await writeFile(file, stringify({
        server: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort },
        logging: { level: 'warn', accessLog: false }, watch: false,
        apis: [{ name, upstream: `http://127.0.0.1:${upstream.port}`, ...api }],
      }));
      const p = await startGatewayProcess(cli, file, port, adminPort);
      owned.push(p);
      return p;
    };
    const targets: Target[] = [
      { label: 'Portcullis pass-through', proc: await gateway('pass-through', { prefixes: ['/'] }), runs: [] },
      {
        label: 'Portcullis + request-validation + authz (CEL) + response-filter',
        proc: await gateway('protected', {
          openapi: join(root, 'bench', 'fixtures', 'authz-openapi.yaml'),
          stages: { 'request-validation': {}, authz: BENCH_AUTHZ, 'response-filter': { action: 'filter' } },
        }),
        runs: [],
      },
      {
        // The same route without authz: what authorization itself adds is the difference to the row above.
        label: 'Portcullis + request-validation + response-filter (no authz)',
        proc: await gateway('no-authz', {
          openapi: join(root, 'bench', 'fixtures', 'authz-openapi.yaml'),
          stages: { 'request-validation': {}, 'response-filter': { action: 'filter' } },
        }),
        runs: [],
      },
    ];
    const body = benchBody();
    const load = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    for (const t of targets) {
      // A target answering anything but 200 would be measured doing the wrong work.
      const res = await fetch(`http://127.0.0.1:${t.proc.port}${PATH}`, { method: 'POST', headers: load.headers, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${t.label}: POST ${PATH} answered ${res.status}, expected 200`);
    }
    for (let round = 1; round <= args.rounds; round++) {
      for (const t of targets) {
        const url = `http://127.0.0.1:${t.proc.port}${PATH}`;
        if (args.warmup > 0) await runLoad({ url, connections: args.connections, durationS: args.warmup, ...load });
        const before = await cpuUs(t.proc.pid);
        const r = await runLoad({ url, connections: args.connections, durationS: args.duration, ...load });
        const after = await cpuUs(t.proc.pid);
        const run = before === undefined || after === undefined || r.rps === 0 ? r : { ...r, cpuUsPerReq: (after - before) / (r.rps * args.duration) };
        t.runs.push(run);
        log(`round ${round}/${args.rounds}  ${t.label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
      }
    }
    const micro = await microBench(root, MICRO_ITERATIONS, FIXED_BODY);
    const rows = targets.map((t) => medianRow(t.runs));
    const base = rows[0]!;
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
    const cpu = cpus();
    process.stdout.write([
      `### Authorization and validation benchmark (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Node ${process.version}, ${cpu.length} CPU(s) (${cpu[0]?.model.trim() ?? 'unknown'}), loopback; POST of a ${body.length}-byte JSON body, `
        + `${args.connections} connections, ${args.warmup} s warm-up, ${args.duration} s measured, median of ${args.rounds} interleaved round(s).`,
      '',
      '| target | req/s | p50 ms | p99 ms | non-2xx | errors | CPU µs/req | req/s vs pass-through |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...targets.map((t, i) => {
        const row = rows[i]!;
        return `| ${t.label} | ${Math.round(row.rps)} | ${row.p50Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} | ${row.non2xx} | ${row.errors} | ${Number.isFinite(row.cpuUsPerReq) ? Math.round(row.cpuUsPerReq) : 'n/a'} | ${pct(row.rps, base.rps)} |`;
      }),
      '',
      `In-process, per request (${micro.iterations} iterations, first tenth discarded): request validation + authorization `
        + `median ${micro.requestMedianUs.toFixed(1)} µs (p99 ${micro.requestP99Us.toFixed(1)} µs); response ownership check + response filtering median ${micro.responseMedianUs.toFixed(1)} µs.`,
    ].join('\n') + '\n');
  } finally {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
