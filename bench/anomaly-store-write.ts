/**
 * The cost of the anomaly stage's per-request write on Redis: the compare-and-set it does now
 * (ADR 0022, item 3) against the plain SET it did before, A/B in one process on one connection,
 * interleaved in rounds so machine load falls on both alike. Sequential, so each figure is one
 * round trip plus the work on either side (SHA-1 of the expected value here and in the script).
 *
 *   node dist/bench/anomaly-store-write.js [--rounds 5] [--ops 1000] [--bytes 2500]
 */
import { RedisStore } from '../src/store/redis.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(process.argv[i + 1]);
}

const rounds = arg('rounds', 5);
const ops = arg('ops', 1000);
const bytes = arg('bytes', 2500);
const prefix = `pcl-bench-anomaly-write:${process.pid}:`;
const store = new RedisStore({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', keyPrefix: prefix });
const base = 'x'.repeat(bytes - 10);
let current = base.padEnd(bytes, '0');
await store.set('k', current, 60_000);
const times: Record<'set' | 'compareAndSet', number[]> = { set: [], compareAndSet: [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of ['set', 'compareAndSet'] as const) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) {
      const next = base + String(r * ops + i).padStart(10, '0');
      if (kind === 'set') await store.set('k', next, 60_000);
      else if (!(await store.compareAndSet('k', current, next, 60_000)).written) throw new Error('unexpected conflict');
      current = next;
    }
    times[kind].push(Number(process.hrtime.bigint() - t) / 1000 / ops);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const set = median(times.set);
const cas = median(times.compareAndSet);
console.log(`anomaly state write, ${bytes}-byte value, ${rounds} rounds x ${ops} sequential writes: median µs/write SET ${set.toFixed(1)}, compareAndSet ${cas.toFixed(1)} (${(cas / set).toFixed(2)}x)`);
await store.delete('k');
await store.close();
