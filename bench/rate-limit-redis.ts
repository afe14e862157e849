import { randomUUID } from 'node:crypto';
import { cpuUsage } from 'node:process';
import { join } from 'node:path';
import { RedisStore } from '../src/store/redis.js';
import { RedisRateLimitStore } from '../src/stages/rate-limit/stores/redis.js';
import type { CheckRequest, RateLimitStore } from '../src/stages/rate-limit/stores/store.js';
import { cpuUs } from './processes.js';
import { median, percentile } from './report.js';

// `node dist/bench/rate-limit-redis.js --baseline DIR [--seconds S] [--rounds N] [--concurrency 1,8,25] [--limits N] [--auto-pipelining]`
// The Redis rate-limit store alone, this build against DIR's build (e.g. main, built), interleaved
// in one process: C checks kept in flight (C clients, one scope each, N sliding-window limits that
// never trigger). Reports per check: this process's CPU, the Redis process's CPU (/proc) and the
// EVALSHA time Redis accounts (INFO commandstats), and the check latency. Point REDIS_URL at a
// Redis nobody else uses (its CPU is read whole). `--auto-pipelining`: also the baseline with
// ioredis `enableAutoPipelining` (its commands of one loop turn written together, still one EVALSHA each). See docs/performance.md, "Rate limit on Redis".

const log = (line: string) => process.stderr.write(`${line}\n`);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

interface Variant { readonly name: string; readonly kv: { client: RedisStore['client']; close(): Promise<void> }; readonly store: RateLimitStore }
interface Sample { readonly checks: number; readonly clientUs: number; readonly redisUs: number; readonly evalUs: number; readonly calls: number; readonly p50: number; readonly p99: number }

async function variant(name: string, root: string | undefined, prefix: string, autoPipelining = false): Promise<Variant> {
  const at = (p: string) => (root === undefined ? `../src/${p}` : join(root, 'dist', 'src', p));
  const { RedisStore: Kv } = (root === undefined ? { RedisStore } : await import(at('store/redis.js'))) as { RedisStore: typeof RedisStore };
  const { RedisRateLimitStore: Rl } = (root === undefined ? { RedisRateLimitStore } : await import(at('stages/rate-limit/stores/redis.js'))) as { RedisRateLimitStore: typeof RedisRateLimitStore };
  const kv = new Kv({ url, keyPrefix: prefix });
  await kv.client.ping();
  // ioredis reads the option per command: from here on its commands of one loop turn share one write.
  if (autoPipelining) kv.client.options.enableAutoPipelining = true;
  return { name, kv, store: new Rl(kv.client, prefix, { run: (c) => kv.run(c), deadline: () => kv.deadline() }) };
}

async function evalsha(v: Variant): Promise<{ calls: number; usec: number }> {
  const text = await v.kv.client.info('commandstats');
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(text);
  return m === null ? { calls: 0, usec: 0 } : { calls: Number(m[1]), usec: Number(m[2]) };
}

async function run(v: Variant, redisPid: number, concurrency: number, limits: number, seconds: number): Promise<Sample> {
  const reqs: CheckRequest[] = Array.from({ length: concurrency }, (_, i) => ({
    scope: `bench-${i}`,
    limits: Array.from({ length: limits }, (_, j) => ({ id: `l${j}`, rule: { algorithm: 'sliding-window' as const, limit: 1_000_000_000, windowMs: 60_000, burst: 1_000_000_000 }, cost: 1 })),
  }));
  const lat: number[] = [];
  const [s0, r0, c0] = [await evalsha(v), await cpuUs(redisPid), cpuUsage()];
  const end = performance.now() + seconds * 1000;
  let checks = 0;
  await Promise.all(reqs.map(async (req) => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await v.store.check(req);
      lat.push(performance.now() - t);
      if (!r.allowed) throw new Error('a never-triggering limit denied');
      checks++;
    }
  }));
  const c1 = cpuUsage(c0);
  const [r1, s1] = [await cpuUs(redisPid), await evalsha(v)];
  lat.sort((a, b) => a - b);
  return {
    checks, clientUs: (c1.user + c1.system) / checks, redisUs: ((r1 ?? 0) - (r0 ?? 0)) / checks,
    evalUs: (s1.usec - s0.usec) / checks, calls: s1.calls - s0.calls, p50: percentile(lat, 50), p99: percentile(lat, 99),
  };
}

async function main(): Promise<void> {
  const baseline = arg('baseline');
  if (baseline === undefined) throw new Error('--baseline DIR (a built checkout to compare with) is required');
  const seconds = Number(arg('seconds') ?? 3);
  const rounds = Number(arg('rounds') ?? 3);
  const limits = Number(arg('limits') ?? 1);
  const levels = (arg('concurrency') ?? '1,8,25').split(',').map(Number);
  const prefix = `pcl-bench-rl:${randomUUID()}:`;
  const variants = [await variant('baseline', baseline, prefix), await variant('this build', undefined, prefix)];
  if (process.argv.includes('--auto-pipelining')) variants.splice(1, 0, await variant('baseline + ioredis auto-pipelining', baseline, prefix, true));
  const redisPid = Number(/process_id:(\d+)/.exec(await variants[0]!.kv.client.info('server'))![1]);
  const out = [`| concurrency | build | checks/s | client CPU µs/check | Redis CPU µs/check | EVALSHA µs/check (commandstats) | checks per EVALSHA | p50 ms | p99 ms |`, '|---:|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const c of levels) {
    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        await run(v, redisPid, c, limits, 0.5);
        const s = await run(v, redisPid, c, limits, seconds);
        samples.get(v.name)!.push(s);
        log(`c=${c} round ${r + 1} ${v.name}: ${Math.round(s.checks / seconds)}/s client ${s.clientUs.toFixed(1)} µs, redis ${s.redisUs.toFixed(1)} µs, evalsha ${s.evalUs.toFixed(1)} µs/check, ${(s.checks / s.calls).toFixed(1)} checks/call, p99 ${s.p99.toFixed(2)} ms`);
      }
    }
    for (const v of variants) {
      const s = samples.get(v.name)!;
      const m = (f: (x: Sample) => number) => median(s.map(f));
      out.push(`| ${c} | ${v.name} | ${Math.round(m((x) => x.checks / seconds))} | ${m((x) => x.clientUs).toFixed(1)} | ${m((x) => x.redisUs).toFixed(1)} | ${m((x) => x.evalUs).toFixed(1)} | ${m((x) => x.checks / x.calls).toFixed(1)} | ${m((x) => x.p50).toFixed(3)} | ${m((x) => x.p99).toFixed(3)} |`);
    }
  }
  const keys = await variants[1]!.kv.client.keys(`{${prefix}*`);
  if (keys.length > 0) await variants[1]!.kv.client.del(...keys);
  await Promise.all(variants.map((v) => v.kv.close()));
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
