import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { freePort, killRedis, startPrivateRedis } from '../helpers/redis.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

interface Sample { start: number; ms: number; status: number }

/** Keeps `conns` requests in flight against `url` until `stop()`; every answer is a sample. */
function load(url: string, conns: number): { samples: Sample[]; stop: () => Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const start = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        samples.push({ start, ms: performance.now() - start, status: res.status });
      } catch {
        samples.push({ start, ms: performance.now() - start, status: 0 });
      }
    }
  };
  const loops = Array.from({ length: conns }, loop);
  return { samples, stop: async () => { running = false; await Promise.all(loops); } };
}

const p99 = (xs: Sample[]) => { const s = xs.map((x) => x.ms).sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!; };

/** Polls every 20 ms until `ok()`; returns the ms it took (or Infinity after `limitMs`). */
async function until(ok: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (await ok()) return performance.now() - t0;
    await sleep(20);
  }
  return Infinity;
}

describe('Redis down: the failure policy answers at once, and Redis returning is picked up by itself (issue 12, 4)', () => {
  let up: FakeUpstream;
  let redis: ChildProcess;
  let port: number;
  const gw: Record<'fail-open' | 'fail-closed', GatewayProcess> = {} as never;
  before(async () => {
    up = await startUpstream();
    port = await freePort();
    redis = await startPrivateRedis(port);
    for (const policy of ['fail-open', 'fail-closed'] as const) {
      const top = `store:\n  backend: redis\n  redisUrl: redis://127.0.0.1:${port}\n  keyPrefix: "${policy}:"\n`;
      const api = `    stages:\n      rate-limit:\n        onError: ${policy}\n        limits:\n          - { name: default, limit: 1000000 }\n`;
      gw[policy] = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
    }
  });
  after(async () => { for (const g of Object.values(gw)) await g.stop(); await killRedis(redis); await up.close(); });

  test('p99 during the outage stays within 20 ms of normal for both policies; recovery within 2 s', async () => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    for (const g of Object.values(gw)) assert.equal((await fetch(`${g.url}/v1/books`)).status, 200);
    const runs = { 'fail-open': load(`${gw['fail-open'].url}/v1/books`, 4), 'fail-closed': load(`${gw['fail-closed'].url}/v1/books`, 4) };
    await sleep(1500);
    const killedAt = performance.now();
    await killRedis(redis);
    await sleep(1500);
    const restartAt = performance.now();
    redis = await startPrivateRedis(port);

    // Recovery: the fail-closed gateway answers 200 again, and the fail-open one writes its counters to the new Redis.
    await probe.connect();
    const [closedBack, openBack] = await Promise.all([
      until(async () => (await fetch(`${gw['fail-closed'].url}/v1/books`)).status === 200, 5000),
      until(async () => (await probe.keys('{fail-open:*')).length > 0, 5000),
    ]);
    probe.disconnect();
    await sleep(300);
    await Promise.all(Object.values(runs).map((r) => r.stop()));

    for (const [policy, run] of Object.entries(runs)) {
      const normal = run.samples.filter((s) => s.start < killedAt);
      const outage = run.samples.filter((s) => s.start > killedAt && s.start + s.ms < restartAt);
      const statuses = new Set(outage.map((s) => s.status));
      assert.ok(normal.length >= 5 && outage.length >= 5, `${policy}: enough samples (${normal.length} normal, ${outage.length} during the outage)`);
      assert.deepEqual([...statuses], [policy === 'fail-open' ? 200 : 503], `${policy}: the policy's answer during the outage`);
      assert.ok(p99(outage) <= p99(normal) + 20, `${policy}: p99 ${p99(outage).toFixed(1)} ms during the outage vs ${p99(normal).toFixed(1)} ms normally`);
    }
    // Measured from the moment redis-server is ready (connect() of the probe adds a little, never removes).
    assert.ok(closedBack < 2000, `fail-closed served again ${closedBack.toFixed(0)} ms after Redis returned`);
    assert.ok(openBack < 2000, `fail-open used Redis again ${openBack.toFixed(0)} ms after Redis returned`);
  });
});

describe('a Redis that stalls and resumes runs no check its gateway gave up on (issue 12, 4)', () => {
  let up: FakeUpstream;
  let redis: ChildProcess;
  let gw: GatewayProcess;
  let redisUrl: string;
  before(async () => {
    up = await startUpstream();
    const port = await freePort();
    redis = await startPrivateRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
    const top = `store:\n  backend: redis\n  redisUrl: ${redisUrl}\n  keyPrefix: "stall:"\n`;
    const api = `    stages:\n      rate-limit:\n        onError: fail-open\n        limits:\n          - { name: default, limit: 10, window: 1h, algorithm: fixed-window }\n`;
    gw = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
  });
  after(async () => { await gw.stop(); process.kill(redis.pid!, 'SIGCONT'); await killRedis(redis); await up.close(); });

  const remaining = (res: Response) => Number(/;r=(\d+)/.exec(res.headers.get('ratelimit') ?? '')?.[1]);

  test('the request answered by the policy during the stall spends no token once Redis resumes', async () => {
    assert.equal(remaining(await fetch(`${gw.url}/v1/books`)), 9);
    assert.equal(remaining(await fetch(`${gw.url}/v1/books`)), 8);
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      // Sent into the stalled server: the command times out and the fail-open policy answers (with
      // the local fallback limiter's count, which is this process's own).
      const during = await fetch(`${gw.url}/v1/books`);
      assert.equal(during.status, 200);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    // The stalled script runs now, after its deadline: it must change nothing. Once Redis answers
    // again, the gateway's breaker closes within its 200 ms probe interval (1 s allowed).
    const probe = new Redis({ port: Number(new URL(redisUrl).port), host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try { await probe.ping(); } finally { probe.disconnect(); }
    await sleep(1000);
    const after = remaining(await fetch(`${gw.url}/v1/books`));
    assert.equal(after, 7, 'one token for this request; none for the one answered during the stall');
  });
});
