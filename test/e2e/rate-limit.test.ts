import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { REDIS_URL, freePort, killRedis, removeRunKeysAfter, startPrivateRedis } from '../helpers/redis.js';

const RUN = randomUUID();
// Keys of this run (quotas live a day) are removed at the end.
removeRunKeysAfter(RUN);


/** Polls until the gateway answers `status` (recovery happens in the background). */
async function eventually(url: string, status: number, attempts = 100): Promise<number> {
  let last = 0;
  for (let i = 0; i < attempts; i++) {
    last = (await fetch(url)).status;
    if (last === status) return last;
    await sleep(100);
  }
  return last;
}

function rateLimitYaml(limits: string, extra = ''): string {
  return `    stages:
      rate-limit:
${extra}        limits:
${limits}`;
}

describe('rate limiting through a real gateway', () => {
  let up: FakeUpstream;
  before(async () => { up = await startUpstream(); });
  after(async () => { await up.close(); });

  describe('memory store', () => {
    let gw: GatewayProcess;
    before(async () => {
      const api = `${rateLimitYaml(`          - { name: default, limit: 3, window: 1h, algorithm: fixed-window }\n`)}
    operations:
      getBook:
        stages:
          rate-limit:
            limits:
              - { name: get-book, limit: 1, window: 1h, scope: operation }`;
      gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: api }).file);
    });
    after(async () => { await gw.stop(); });

    test('successes carry RateLimit headers; the request after N gets 429 with Retry-After', async () => {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.url}/v1/books`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('ratelimit-policy'), '"default";q=3;w=3600');
        assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`^"default";r=${2 - i};t=\\d+$`));
      }
      const seen = up.seen.length;
      const res = await fetch(`${gw.url}/v1/books`);
      assert.equal(res.status, 429);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      const body = await res.json() as { code: string; status: number };
      assert.equal(body.code, 'PCL_RATE_LIMITED');
      assert.equal(body.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      assert.match(res.headers.get('ratelimit') ?? '', /^"default";r=0;t=\d+$/);
      assert.equal(up.seen.length, seen, 'the upstream never saw the limited request');
    });

    test('a per-operation override replaces the API limits for that operation', async () => {
      const ok = await fetch(`${gw.url}/v1/books/1`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('ratelimit-policy'), '"get-book";q=1;w=3600');
      const limited = await fetch(`${gw.url}/v1/books/2`);
      assert.equal(limited.status, 429);
      assert.equal((await limited.json() as { code: string }).code, 'PCL_RATE_LIMITED');
    });

    test('a spoofed X-Forwarded-For from an untrusted peer does not change the client key', async () => {
      const res = await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}` } });
      assert.equal(res.status, 429);
    });
  });

  describe('redis store shared by two gateway processes', () => {
    let a: GatewayProcess;
    let b: GatewayProcess;
    before(async () => {
      const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "pcl-e2e:${RUN}:${randomUUID()}:"\n`;
      const api = rateLimitYaml(`          - { name: shared, limit: 4, window: 1h, algorithm: sliding-log }\n`);
      a = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
      b = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
    });
    after(async () => { await Promise.all([a.stop(), b.stop()]); });

    test('both instances count against one counter', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await fetch(`${a.url}/v1/books`)).status);
        statuses.push((await fetch(`${b.url}/v1/books`)).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
      const last = await fetch(`${a.url}/v1/books`);
      assert.match(last.headers.get('ratelimit') ?? '', /^"shared";r=0;t=\d+$/);
    });
  });

  // Requests arriving together reach Redis as one script call per gateway (ADR 0034): the
  // script must still count them one by one, across both instances.
  describe('redis store, concurrent requests to two gateway processes', () => {
    let a: GatewayProcess;
    let b: GatewayProcess;
    before(async () => {
      const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "pcl-e2e:${RUN}:${randomUUID()}:"\n`;
      const api = rateLimitYaml(`          - { name: burst, limit: 10, window: 1h, algorithm: fixed-window }\n`);
      a = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
      b = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: api }).file);
    });
    after(async () => { await Promise.all([a.stop(), b.stop()]); });

    test('16 at once: the 10th is allowed, each remaining count once, the 6 after get 429 PCL_RATE_LIMITED with Retry-After', async () => {
      const res = await Promise.all(Array.from({ length: 16 }, (_, i) => fetch(`${(i % 2 === 0 ? a : b).url}/v1/books`)));
      const ok = res.filter((r) => r.status === 200);
      assert.equal(ok.length, 10);
      const left = ok.map((r) => Number(/^"burst";r=(\d+);t=\d+$/.exec(r.headers.get('ratelimit') ?? '')?.[1])).sort((x, y) => x - y);
      assert.deepEqual(left, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const r of res.filter((x) => x.status !== 200)) {
        assert.equal(r.status, 429);
        const body = await r.json() as { code: string; status: number };
        assert.equal(body.code, 'PCL_RATE_LIMITED');
        assert.equal(body.status, 429);
        const wait = Number(r.headers.get('retry-after'));
        assert.ok(wait >= 1 && wait <= 3600, `retry-after ${wait}`);
      }
      await Promise.all(ok.map((r) => r.arrayBuffer()));
    });
  });

  describe('redis unreachable', () => {
    let closed: GatewayProcess;
    let open: GatewayProcess;
    before(async () => {
      // Port 1 on loopback: nothing listens there, connections are refused at once.
      const top = 'store:\n  backend: redis\n  redisUrl: redis://127.0.0.1:1\n';
      closed = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: rateLimitYaml('          - { name: default, limit: 100 }\n') }).file);
      open = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: rateLimitYaml('          - { name: default, limit: 2 }\n', '        onError: fail-open\n') }).file);
    });
    after(async () => { await Promise.all([closed.stop(), open.stop()]); });

    test('fail-closed answers 503 PCL_RATE_LIMIT_UNAVAILABLE', async () => {
      const res = await fetch(`${closed.url}/v1/books`);
      assert.equal(res.status, 503);
      assert.equal((await res.json() as { code: string }).code, 'PCL_RATE_LIMIT_UNAVAILABLE');
      assert.equal(res.headers.get('retry-after'), '1');
    });

    test('fail-open passes, still limited by the local fallback', async () => {
      assert.equal((await fetch(`${open.url}/v1/books`)).status, 200);
      assert.equal((await fetch(`${open.url}/v1/books`)).status, 200);
      assert.equal((await fetch(`${open.url}/v1/books`)).status, 429);
    });
  });

  describe('a quota in Redis survives a gateway restart', () => {
    test('the count continues in a new process', async () => {
      const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "pcl-e2e:${RUN}:${randomUUID()}:"\n`;
      const cfg = booksConfig(up.url, { top, apiExtra: rateLimitYaml('          - { name: daily, limit: 3, period: day }\n') }).file;
      const first = await startGatewayProcess(cfg);
      try {
        assert.equal((await fetch(`${first.url}/v1/books`)).status, 200);
        const res = await fetch(`${first.url}/v1/books`);
        assert.match(res.headers.get('ratelimit') ?? '', /^"daily";r=1;t=\d+$/);
        assert.equal(res.headers.get('ratelimit-policy'), '"daily";q=3;w=86400');
      } finally {
        await first.stop();
      }
      const second = await startGatewayProcess(cfg);
      try {
        assert.equal((await fetch(`${second.url}/v1/books`)).status, 200);
        const limited = await fetch(`${second.url}/v1/books`);
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) <= 86_400);
      } finally {
        await second.stop();
      }
    });
  });

  describe('Redis killed and restarted', () => {
    let redis: ChildProcess;
    let port: number;
    let gw: GatewayProcess;
    before(async () => {
      port = await freePort();
      redis = await startPrivateRedis(port);
      const top = `store:\n  backend: redis\n  redisUrl: redis://127.0.0.1:${port}\n`;
      gw = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: rateLimitYaml('          - { name: default, limit: 1000 }\n') }).file);
    });
    after(async () => { await gw.stop(); await killRedis(redis); });

    test('fail-closed while Redis is down, serving again once it is back, without a restart', async () => {
      assert.equal(await eventually(`${gw.url}/v1/books`, 200), 200);
      await killRedis(redis);
      assert.equal(await eventually(`${gw.url}/v1/books`, 503), 503);
      assert.equal(gw.child.exitCode, null, 'the gateway did not crash');
      redis = await startPrivateRedis(port);
      assert.equal(await eventually(`${gw.url}/v1/books`, 200), 200);
    });
  });
});
