import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { freePort, killRedis, startPrivateRedis } from '../helpers/redis.js';

const limitYaml = (limit: string, extra = '') => `    stages:\n      rate-limit:\n${extra}        limits:\n          - ${limit}\n`;


describe('rate limiting: bad input', () => {
  let up: FakeUpstream;
  before(async () => { up = await startUpstream(); });
  after(async () => { await up.close(); });

  describe('header values that try to break key construction', () => {
    let gw: GatewayProcess;
    before(async () => {
      // The test client is a trusted proxy, so its X-Forwarded-For is parsed: junk must not become a key.
      const { file } = booksConfig(up.url, { server: "  trustedProxies: ['127.0.0.1']", apiExtra: limitYaml('{ name: default, limit: 3, window: 1h, algorithm: fixed-window }') });
      gw = await startGatewayProcess(file);
    });
    after(async () => { await gw.stop(); });

    test('separators, hash tags, ports and megabyte-ish values all count as the peer, not as fresh clients', async () => {
      const junk = ['{pcl:rl:victim}:books:default', 'a:b:c:d', `${'9'.repeat(7000)}`, '1.2.3.4:8o', 'unknown'];
      const statuses: number[] = [];
      for (const v of junk) statuses.push((await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': v } })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const ok = await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': '198.51.100.7:8080' } });
      assert.equal(ok.status, 200, 'a well-formed address from the trusted proxy is its own client');
    });

    test('a CR inside the header value is refused by the parser with 400, and the gateway carries on', async () => {
      const port = Number(new URL(gw.url).port);
      const res = await rawRequest(port, 'GET /v1/books HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\rinjected: 1\r\nConnection: close\r\n\r\n');
      assert.equal(res.status, 400);
      assert.equal((JSON.parse(res.body) as { code: string }).code, 'PCL_BAD_REQUEST');
      assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': '198.51.100.8' } })).status, 200);
    });
  });

  describe('Redis killed under concurrent load (fail-open)', () => {
    let redis: ChildProcess;
    let port: number;
    let gw: GatewayProcess;
    before(async () => {
      port = await freePort();
      redis = await startPrivateRedis(port);
      const top = `store:\n  backend: redis\n  redisUrl: redis://127.0.0.1:${port}\n`;
      gw = await startGatewayProcess(booksConfig(up.url, { top, apiExtra: limitYaml('{ name: default, limit: 100000 }', '        onError: fail-open\n') }).file);
    });
    after(async () => { await gw.stop(); await killRedis(redis); });

    test('no request fails with a 5xx and the gateway stays up; Redis is used again after its restart', async () => {
      const statuses = new Map<number, number>();
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const s = (await fetch(`${gw.url}/v1/books`)).status;
          statuses.set(s, (statuses.get(s) ?? 0) + 1);
        }
      };
      const load = Promise.all([...Array(8)].map(worker));
      await sleep(300);
      await killRedis(redis);
      await sleep(1500);
      redis = await startPrivateRedis(port);
      await sleep(1500);
      stop = true;
      await load;
      assert.deepEqual([...statuses.keys()], [200], `statuses seen: ${JSON.stringify([...statuses])}`);
      assert.equal(gw.child.exitCode, null, 'the gateway did not crash');
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      assert.match(metrics, /portcullis_ratelimit_store_errors_total\{backend="redis"\} [1-9]/, 'store errors are counted');
      const before = Number(/portcullis_ratelimit_store_duration_seconds_count\{backend="redis",result="ok"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
      const again = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      const afterOk = Number(/portcullis_ratelimit_store_duration_seconds_count\{backend="redis",result="ok"\} (\d+)/.exec(again)?.[1] ?? 0);
      assert.ok(afterOk > before, 'the request after the restart went to Redis');
    });
  });
});
