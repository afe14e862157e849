import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { stringify } from 'yaml';
import { findPackageRoot } from '../src/util/package-root.js';
import { runLoad } from './load.js';
import { freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { median } from './report.js';

// `node dist/bench/rate-limit.js [--duration S] [--rounds N] [--connections C] [--skip-accuracy] [--skip-throughput]`
// Accuracy: allowed requests under load far above the limit vs the budget, per algorithm, memory
// store (one gateway) and Redis (two gateways sharing it). Throughput: a never-triggering limit
// beside a pass-through gateway, interleaved rounds. See docs/performance.md, "Rate limiting".

const log = (line: string) => process.stderr.write(`${line}\n`);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
  return n;
}

/** One algorithm's limit and the number of requests it should allow in `seconds`. */
interface Case { readonly algorithm: string; readonly limit: Record<string, unknown>; budget(seconds: number): number }

// Rate-based algorithms refill during the run (budget = burst + rate x time); window-based ones get a
// window longer than the run, so their budget is exactly the limit. The rates are low and the bursts
// large enough that a load generator stalling for up to a second (a busy machine) loses no refill:
// the budget is an upper bound that only a steady offered load above the rate reaches.
const CASES: readonly Case[] = [
  { algorithm: 'token-bucket', limit: { limit: 20, window: '1s', burst: 100 }, budget: (s) => 100 + 20 * s },
  { algorithm: 'gcra', limit: { limit: 20, window: '1s', burst: 20 }, budget: (s) => 20 + 20 * s },
  { algorithm: 'fixed-window', limit: { limit: 1000, window: '1h' }, budget: () => 1000 },
  { algorithm: 'sliding-window', limit: { limit: 1000, window: '1h' }, budget: () => 1000 },
  { algorithm: 'sliding-log', limit: { limit: 1000, window: '1h' }, budget: () => 1000 },
];

async function gateway(tmp: string, upstreamPort: number, name: string, store: Record<string, unknown>, apis: Record<string, unknown>[]): Promise<TargetProcess> {
  const root = findPackageRoot(import.meta.url);
  const port = await freePort();
  const adminPort = await freePort();
  const config = {
    server: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort },
    logging: { level: 'warn', accessLog: false }, watch: false, store,
    apis: apis.map((a) => ({ upstream: `http://127.0.0.1:${upstreamPort}`, ...a })),
  };
  const file = join(tmp, `${name}.yaml`);
  await writeFile(file, stringify(config));
  return startGatewayProcess(join(root, 'dist', 'src', 'cli', 'main.js'), file, port, adminPort);
}

const rateLimited = (name: string, prefix: string, limit: Record<string, unknown>) => ({
  name, prefixes: [prefix], stages: { 'rate-limit': { limits: [{ name: 'bench', ...limit }] } },
});

async function accuracy(tmp: string, upstreamPort: number, duration: number, connections: number, owned: TargetProcess[]): Promise<void> {
  const apis = CASES.map((c) => rateLimited(c.algorithm, `/${c.algorithm}`, { algorithm: c.algorithm, ...c.limit }));
  const memory = await gateway(tmp, upstreamPort, 'accuracy-memory', { backend: 'memory' }, apis);
  owned.push(memory);
  const redisStore = { backend: 'redis', redisUrl: REDIS_URL, keyPrefix: `pcl-bench:${randomUUID()}:` };
  const r1 = await gateway(tmp, upstreamPort, 'accuracy-redis-1', redisStore, apis);
  const r2 = await gateway(tmp, upstreamPort, 'accuracy-redis-2', redisStore, apis);
  owned.push(r1, r2);
  log('| algorithm | store | budget | allowed | deviation | offered req/s |');
  log('|---|---|---:|---:|---:|---:|');
  for (const c of CASES) {
    for (const [store, targets] of [['memory', [memory]], ['redis, 2 gateways', [r1, r2]]] as const) {
      const runs = await Promise.all(targets.map((t) => runLoad({ url: `http://127.0.0.1:${t.port}/${c.algorithm}/x`, connections, durationS: duration })));
      // The measured time of the load runs (autocannon's own clock: responses / rate), for the rate-based budgets.
      const seconds = median(runs.map((r) => (r.responses ?? 0) / r.rps));
      const allowed = runs.reduce((n, r) => n + (r.responses ?? 0) - r.non2xx, 0);
      const offered = runs.reduce((n, r) => n + r.rps, 0);
      const budget = c.budget(seconds);
      const dev = ((allowed - budget) / budget) * 100;
      log(`| ${c.algorithm} | ${store} | ${budget.toFixed(0)} | ${allowed} | ${dev >= 0 ? '+' : ''}${dev.toFixed(2)} % | ${offered.toFixed(0)} |`);
    }
  }
}

async function throughput(tmp: string, upstreamPort: number, duration: number, rounds: number, connections: number, owned: TargetProcess[]): Promise<void> {
  const never = { limit: 1_000_000_000, window: '1m' };
  const targets = [
    { label: 'pass-through (no limit)', proc: await gateway(tmp, upstreamPort, 'tp-pass', { backend: 'memory' }, [{ name: 'pass', prefixes: ['/'] }]) },
    { label: 'memory-store limit', proc: await gateway(tmp, upstreamPort, 'tp-memory', { backend: 'memory' }, [rateLimited('mem', '/', never)]) },
    { label: 'Redis-store limit', proc: await gateway(tmp, upstreamPort, 'tp-redis', { backend: 'redis', redisUrl: REDIS_URL, keyPrefix: `pcl-bench:${randomUUID()}:` }, [rateLimited('redis', '/', never)]) },
  ];
  owned.push(...targets.map((t) => t.proc));
  const rps = targets.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, t] of targets.entries()) {
      await runLoad({ url: `http://127.0.0.1:${t.proc.port}/x`, connections, durationS: 1 }); // warm-up
      const res = await runLoad({ url: `http://127.0.0.1:${t.proc.port}/x`, connections, durationS: duration });
      if (res.non2xx > 0 || res.errors > 0) log(`warning: ${t.label} had ${res.non2xx} non-2xx and ${res.errors} errors`);
      rps[i]!.push(res.rps);
    }
  }
  const base = median(rps[0]!);
  log('| target | median req/s | vs pass-through | runs |');
  log('|---|---:|---:|---|');
  for (const [i, t] of targets.entries()) {
    const m = median(rps[i]!);
    log(`| ${t.label} | ${m.toFixed(0)} | ${((m / base) * 100).toFixed(1)} % | ${rps[i]!.map((x) => x.toFixed(0)).join(', ')} |`);
  }
}

async function main(): Promise<void> {
  const duration = flag('duration', 10);
  const rounds = flag('rounds', 3);
  const connections = flag('connections', 20);
  const ext = extname(new URL(import.meta.url).pathname);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-rl-'));
  const owned: TargetProcess[] = [];
  try {
    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    if (!process.argv.includes('--skip-accuracy')) await accuracy(tmp, upstream.port, duration, connections, owned);
    if (!process.argv.includes('--skip-throughput')) await throughput(tmp, upstream.port, Math.min(duration, 5), rounds, connections, owned);
  } finally {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
