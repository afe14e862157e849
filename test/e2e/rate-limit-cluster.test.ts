import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { REDIS_URL, removeRunKeysAfter } from '../helpers/redis.js';

const RUN = `bot-${randomUUID()}`;
removeRunKeysAfter(RUN);
const SKEW = fileURLToPath(new URL('../helpers/skew-clock.js', import.meta.url));

const limitYaml = (limit: string) => `    stages:\n      rate-limit:\n        limits:\n          - ${limit}\n`;

describe('limits shared across processes', () => {
  let up: FakeUpstream;
  before(async () => { up = await startUpstream(); });
  after(async () => { await up.close(); });

  describe('--workers 2 with the memory store', () => {
    let gw: GatewayProcess;
    let url: string;
    before(async () => {
      const { file } = booksConfig(up.url, { apiExtra: limitYaml('{ name: shared, limit: 6, window: 1h, algorithm: fixed-window }') });
      gw = await startGatewayProcess(file, { args: ['--workers', '2'] });
      await gw.waitForLog(() => gw.logs.filter((x) => x.msg === 'portcullis listening').length >= 2);
      url = String(gw.logs.find((l) => l.msg === 'portcullis listening' && l.http)!.http);
    });
    after(async () => { await gw.stop(); });

    test('the limit holds across both workers (each alone would allow 6)', async () => {
      const statuses: number[] = [];
      // A new connection per request, so node:cluster spreads them over the workers.
      for (let i = 0; i < 14; i++) statuses.push((await fetch(`${url}/v1/books`, { headers: { connection: 'close' } })).status);
      assert.deepEqual(statuses, [...Array(6).fill(200), ...Array(8).fill(429)]);
      const pids = new Set(gw.logs.filter((l) => l.msg === 'request' || l.status !== undefined).map((l) => l.pid));
      assert.ok(pids.size >= 2, `requests were served by ${pids.size} worker(s)`);
    });
  });

  describe('two instances sharing Redis with clocks 40 minutes apart', () => {
    let a: GatewayProcess;
    let b: GatewayProcess;
    before(async () => {
      const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "pcl-e2e:${RUN}:${randomUUID()}:"\n`;
      const cfg = booksConfig(up.url, { top, apiExtra: limitYaml('{ name: skew, limit: 4, window: 1h, algorithm: fixed-window }') }).file;
      a = await startGatewayProcess(cfg);
      b = await startGatewayProcess(cfg, { env: { NODE_OPTIONS: `--import ${SKEW}`, PCL_TEST_CLOCK_SKEW_MS: String(40 * 60_000) } });
    });
    after(async () => { await Promise.all([a.stop(), b.stop()]); });

    test('they agree on the window (Redis TIME), so the budget is not doubled', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await fetch(`${a.url}/v1/books`)).status);
        statuses.push((await fetch(`${b.url}/v1/books`)).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
      const ta = Number(/t=(\d+)/.exec((await fetch(`${a.url}/v1/books`)).headers.get('ratelimit') ?? '')?.[1]);
      const tb = Number(/t=(\d+)/.exec((await fetch(`${b.url}/v1/books`)).headers.get('ratelimit') ?? '')?.[1]);
      assert.ok(Math.abs(ta - tb) <= 2, `both report the same reset (${ta} vs ${tb})`);
    });
  });
});
