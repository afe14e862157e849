import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { Redis } from 'ioredis';
import { booksConfig } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { REDIS_URL } from '../helpers/redis.js';
import { startWebhookReceiver } from '../helpers/siem.js';
import { compileRequestKey } from '../../src/pipeline/request-key.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { newClientState } from '../../src/anomaly/state.js';

// One window of an hour: every request of a test falls in the same window, so nothing depends on
// timing. Baselines that would take hours to learn are seeded into Redis (the store the gateway
// shares with other instances), as another instance would have left them.
const WINDOW = 3_600_000;
const PREFIX = `pcl-e2e-anomaly:${randomUUID()}:`;
const anomalyYaml = `    stages:
      anomaly:
        identity: [[header:x-client], [ip]]
        window: 1h
        warmupWindows: 3
        records: { pointer: /items }
        detectors:
          exfiltration: { minRecords: 20, z: 6 }
          enumeration: { minDistinct: 15, z: 6, action: tighten, riskPoints: 40 }
          credentialSharing: { maxNetworks: 2, action: step-up, duration: 10m }
          probing: { minErrors: 5, minOperations: 3, action: block, duration: 5m }
          unusualMethod: { warmupRequests: 5, action: alert }
          unusualHour: { warmupRequests: 50, minShare: 0.05 }
      rate-limit:
        limits:
          - { name: per-client, limit: 1000, window: 1h, key: [header:x-client] }
        risk:
          enabled: true
          bands: [{ score: 30, factor: 0.1 }]
`;

const keyOf = compileRequestKey(['header:x-client'], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId' });
const stateKey = (client: string) => `${PREFIX}anomaly:books:${keyOf.of({ headers: { 'x-client': client } } as unknown as RequestContext)!}`;

describe('anomaly detection through a real gateway (Redis store)', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const redis = new Redis(REDIS_URL);

  before(async () => {
    up = await startUpstream((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers['x-deny'] === '1') { res.writeHead(403, { 'content-type': 'application/json' }); res.end('{"error":"no"}'); return; }
      const n = Number(url.searchParams.get('n') ?? '3');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ id: i, title: `book ${i}` })) }));
    });
    hooks = await startWebhookReceiver('');
    const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "${PREFIX}"\nalerts:\n  webhooks:\n    - { name: ops, url: "${hooks.url}" }\n  rules:\n    - { name: anomalies, kinds: [anomaly.alert], threshold: 0, windowSeconds: 60, notify: [ops] }\n`;
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: anomalyYaml, top }).file);
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([up?.close(), hooks?.close()]);
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const get = (path: string, client: string, extra: Record<string, string> = {}, dispatcher?: Agent) =>
    fetch(`${gw.url}${path}`, { headers: { 'x-client': client, ...extra }, ...(dispatcher === undefined ? {} : { dispatcher }) } as RequestInit);
  const anomalyEvent = (reason: string, client?: string) => gw.waitForLog((l) => (l.event === 'anomaly.detected' || l.event === 'anomaly.alert') && l.reason === reason && (client === undefined || JSON.stringify(l).includes(client)), 15_000);
  /** A warm per-client baseline, as a past hour of traffic would have left it. */
  const seed = async (client: string, edit: (s: ReturnType<typeof newClientState>) => void) => {
    const s = newClientState(Math.floor(Date.now() / WINDOW) - 1);
    edit(s);
    await redis.set(stateKey(client), JSON.stringify(s), 'PX', 600_000);
  };

  test('exfiltration (action event): 40 records against a baseline of 3 is reported with its explanation and passes', async () => {
    await seed('exfil', (s) => { s.opBase['listBooks'] = { rec: [3, 0.5, 10], by: [200, 20, 10], t: 0 }; });
    assert.equal((await get('/v1/books?n=3', 'exfil')).status, 200);
    const big = await get('/v1/books?n=40', 'exfil');
    assert.equal(big.status, 200, 'shadow mode: nothing is refused');
    const line = await anomalyEvent('exfiltration');
    assert.match(String(line.excerpt), /^records\/1h [0-9.]+ robust z above this client's baseline for listBooks \(43\.0 vs usual 3\.0 ± /);
    assert.equal(line.event, 'anomaly.detected');
    assert.equal((await get('/v1/books?n=40', 'exfil')).status, 200);
  });

  test('probing (action block): a 4xx burst over three operations blocks the client with 403 PCL_ANOMALY_BLOCKED and Retry-After; others pass', async () => {
    const deny = { 'x-deny': '1' };
    const statuses: number[] = [];
    for (const path of ['/v1/books', '/v1/books/1', '/v1/books/2', '/v1/uploads', '/v1/books']) {
      const method = path === '/v1/uploads' ? 'PUT' : 'GET';
      statuses.push((await fetch(`${gw.url}${path}`, { method, headers: { 'x-client': 'prober', ...deny }, ...(method === 'PUT' ? { body: 'x' } : {}) })).status);
    }
    assert.deepEqual(statuses, [403, 403, 403, 403, 403], 'the upstream refuses; the gateway only counts');
    const line = await anomalyEvent('probing');
    assert.match(String(line.excerpt), /^4xx burst: 5 client errors across 3 operations in this 1h window/);
    let blocked: Response | undefined;
    for (let i = 0; i < 50 && blocked === undefined; i++) {
      const r = await get('/v1/books', 'prober');
      if (r.status === 403) blocked = r; else await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(blocked !== undefined, 'blocked once the state is written back');
    assert.equal(blocked.headers.get('content-type'), 'application/problem+json');
    assert.equal((await blocked.json() as { code: string }).code, 'PCL_ANOMALY_BLOCKED');
    // The stage refuses without an event of its own for the rest of the block: the gateway publishes one (issue 14 item 1).
    const id = blocked.headers.get('x-request-id');
    const refusal = await gw.waitForLog((l) => l.event === 'request.refused' && l.reqId === id, 15_000);
    assert.equal(refusal.stage, 'anomaly');
    assert.equal(refusal.reason, 'anomaly_blocked');
    const retry = Number(blocked.headers.get('retry-after'));
    assert.ok(retry > 200 && retry <= 300, `Retry-After ${retry}`);
    assert.equal((await get('/v1/books', 'bystander')).status, 200);
  });

  test('credential sharing (action step-up): one credential from three /24 networks needs a one-time code', async () => {
    const agents = ['127.0.1.1', '127.0.2.1', '127.0.3.1'].map((localAddress) => new Agent({ localAddress }));
    try {
      for (const a of agents.slice(0, 2)) assert.equal((await get('/v1/books', 'shared-key', {}, a)).status, 200);
      assert.equal((await get('/v1/books', 'shared-key', {}, agents[2])).status, 200, 'the request that reveals it is already answered');
      const line = await anomalyEvent('credentialSharing');
      assert.match(String(line.excerpt), /^one credential used from 3 networks within 600s \(more than 2\): 127\.0\.[123]\.0\/24/);
      let r: Response | undefined;
      for (let i = 0; i < 50; i++) {
        r = await get('/v1/books', 'shared-key', {}, agents[0]);
        if (r.status === 401) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(r!.status, 401);
      assert.equal((await r!.json() as { code: string }).code, 'PCL_ANOMALY_STEP_UP_REQUIRED');
      assert.equal(r!.headers.get('www-authenticate'), 'OTP realm="books", header="X-Portcullis-OTP", error="step_up_required"');
    } finally {
      await Promise.all(agents.map((a) => a.close()));
    }
  });

  test('unusual method (action alert): the first DELETE after GETs raises anomaly.alert and the alerts engine delivers it', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get('/v1/books', 'reader')).status, 200);
    const del = await fetch(`${gw.url}/v1/books/7`, { method: 'DELETE', headers: { 'x-client': 'reader' } });
    assert.equal(del.status, 200);
    const line = await anomalyEvent('unusualMethod');
    assert.equal(line.event, 'anomaly.alert');
    assert.match(String(line.excerpt), /^first DELETE from this client after 5 requests \(usual: GET 5\) on deleteBook/);
    for (let i = 0; i < 100 && hooks.received.length === 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(hooks.received.length > 0, 'alert delivered');
    assert.match(hooks.received[0]!.raw, /anomalies/);
  });

  test('enumeration (action tighten): many distinct ids above the baseline raise the client\'s risk score, and its rate limit tightens', async () => {
    await seed('scraper', (s) => { s.base.ids = [2, 1, 10]; });
    const first = await get('/v1/books/999', 'scraper');
    assert.equal(first.headers.get('ratelimit-policy'), '"per-client";q=1000;w=3600', 'untightened before the detection');
    for (let i = 0; i < 25; i++) assert.equal((await get(`/v1/books/${1000 + i * 7}`, 'scraper')).status, 200);
    const line = await anomalyEvent('enumeration');
    assert.match(String(line.excerpt), /^distinct object ids\/1h [0-9.]+ robust z above this client's baseline \(about [0-9]+ ids, usual 2\.0 ± /);
    let score: string | null = null;
    for (let i = 0; i < 50 && score === null; i++) { score = await redis.get(`${PREFIX}risk:ip:127.0.0.1`); if (score === null) await new Promise((res) => setTimeout(res, 100)); }
    assert.ok(score !== null, 'risk score written');
    assert.ok(Number(score.split('@')[0]) >= 40, score);
    // The rate-limit stage reads risk scores through a 1 s cache: the band applies within about a second.
    let policy: string | null = null;
    for (let i = 0; i < 50 && policy !== '"per-client";q=100;w=3600'; i++) {
      policy = (await get('/v1/books/1', 'scraper')).headers.get('ratelimit-policy');
      if (policy !== '"per-client";q=100;w=3600') await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(policy, '"per-client";q=100;w=3600', 'limit 1000 times the band factor 0.1');
  });

  test('unusual hour (action event): a client only ever active twelve hours from now is reported', async () => {
    const other = (new Date().getUTCHours() + 12) % 24;
    await seed('night-owl', (s) => { s.hours[other] = 500; s.seen = 500; s.t0 = Date.now() - 3 * 86_400_000; s.methods = { GET: 500 }; });
    assert.equal((await get('/v1/books', 'night-owl')).status, 200);
    const line = await anomalyEvent('unusualHour');
    assert.match(String(line.excerpt), /^request at [0-9]{2}h UTC: 0\.00 % of this client's 500 requests fell within an hour of it/);
  });
});

test('validate reports anomaly config errors with file:line', async () => {
  const { file } = writeConfig(`server:
  port: 0
apis:
  - name: a
    upstream: http://127.0.0.1:1
    prefixes: [/]
    stages:
      anomaly:
        window: 1 minute
        detectors:
          probing: { action: ban }
          exfiltation: {}
`);
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /portcullis\.yaml:9 apis\[0\]\.stages\.anomaly\.window: must match pattern/);
  assert.match(r.stderr, /portcullis\.yaml:11 apis\[0\]\.stages\.anomaly\.detectors\.probing\.action: must be (one of|equal to)/);
  assert.match(r.stderr, /portcullis\.yaml:12 apis\[0\]\.stages\.anomaly\.detectors\.exfiltation: unknown key "exfiltation" \(did you mean "exfiltration"\?\)/);
});

describe('anomaly stage with its store unreachable', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const top = 'store:\n  backend: redis\n  redisUrl: redis://127.0.0.1:1\n';
    const apiExtra = `    stages:
      anomaly: {}
    operations:
      createBook:
        stages:
          anomaly: { onError: fail-closed }
`;
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra, top }).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('fail-open (the default) passes the request untracked; fail-closed answers 503 PCL_ANOMALY_UNAVAILABLE', async () => {
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
    const r = await fetch(`${gw.url}/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal((await r.json() as { code: string }).code, 'PCL_ANOMALY_UNAVAILABLE');
  });
});

describe('anomaly stage in monitor mode (memory store)', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream((_req, res) => { res.writeHead(404, { 'content-type': 'application/json' }); res.end('{}'); });
    const apiExtra = `    stages:
      anomaly:
        mode: monitor
        window: 1h
        detectors:
          probing: { minErrors: 3, minOperations: 2, action: block }
`;
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra }).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('a detector whose action is block only reports: nothing is refused, the event says action:event, not enforced', async () => {
    const statuses: number[] = [];
    for (const p of ['/v1/books', '/v1/books/1', '/v1/books', '/v1/books/2']) statuses.push((await fetch(`${gw.url}${p}`)).status);
    const line = await gw.waitForLog((l) => l.event === 'anomaly.detected' && l.reason === 'probing');
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/v1/books`)).status);
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 404, 404], 'the upstream\'s answers, never a 403 from the gateway');
    assert.ok((line.ruleIds as string[]).includes('action:event'));
    assert.equal(line.enforced, false);
  });
});

describe('two gateways sharing one Redis count every request of one client', () => {
  const prefix = `pcl-e2e-anomaly-pair:${randomUUID()}:`;
  let up: FakeUpstream;
  let gws: GatewayProcess[] = [];
  const redis = new Redis(REDIS_URL);
  const key = (client: string) => `${prefix}anomaly:books:${keyOf.of({ headers: { 'x-client': client } } as unknown as RequestContext)!}`;
  /** Answers the request the upstream holds (`x-hold: 1`), once the test has raced it. */
  let release: (() => void) | undefined;
  before(async () => {
    up = await startUpstream((req, res) => {
      const answer = () => {
        res.writeHead(req.headers['x-deny'] === '1' ? 404 : 200, { 'content-type': 'application/json' });
        res.end('{"items":[]}');
      };
      if (req.headers['x-hold'] === '1') release = answer;
      else answer();
    });
    const apiExtra = `    stages:
      anomaly:
        identity: [[header:x-client], [ip]]
        window: 1h
        detectors:
          probing: { minErrors: 6, minOperations: 3 }
`;
    const top = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "${prefix}"\n`;
    gws = await Promise.all([0, 1].map(() => startGatewayProcess(booksConfig(up.url, { apiExtra, top }).file)));
  });
  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await up?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  /** The stored state once it holds `n` requests (the write follows the response), or the last one read. */
  const stored = async (client: string, n: number) => {
    let s: { seen: number; cur: { n: number; e4: number } } | undefined;
    for (let i = 0; i < 100; i++) {
      const text = await redis.get(key(client));
      s = text === null ? undefined : JSON.parse(text) as typeof s;
      if (s !== undefined && s.seen >= n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return s;
  };

  test('240 requests, 24 at a time, alternating between the gateways: the stored state counts 240', async () => {
    const total = 240;
    const statuses: number[] = [];
    for (let batch = 0; batch < total / 24; batch++) {
      const rs = await Promise.all(Array.from({ length: 24 }, (_, i) => fetch(`${gws[i % 2]!.url}/v1/books`, { headers: { 'x-client': 'busy' } })));
      for (const r of rs) { statuses.push(r.status); await r.arrayBuffer(); }
    }
    assert.deepEqual(new Set(statuses), new Set([200]));
    const s = await stored('busy', total);
    // A plain GET-then-SET per instance lets one gateway's write overwrite the other's counts.
    assert.equal(s?.seen, total);
    assert.equal(s?.cur.n, total);
  });

  test('a write that meets another instance\'s value is merged and counted on /metrics (portcullis_anomaly_state_conflicts_total); nothing is lost', async () => {
    const gw = gws[0]!;
    const scrape = async () => {
      const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
      return { conflicts: value('portcullis_anomaly_state_conflicts_total'), lost: value('portcullis_anomaly_state_lost_updates_total') };
    };
    const before = await scrape();
    assert.ok(Number.isInteger(before.conflicts) && Number.isInteger(before.lost), 'both counters are exported');
    assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { 'x-client': 'seed' } })).status, 200);
    // The state is written after the answer: wait for it before reading it.
    assert.equal((await stored('seed', 1))?.seen, 1);
    const seed = await redis.get(key('seed'));
    assert.ok(seed !== null);
    // The gateway reads the client's state (none yet) before forwarding; while the upstream holds
    // the request, another instance's write lands, so the gateway's compare-and-set conflicts.
    const pending = fetch(`${gw.url}/v1/books`, { headers: { 'x-client': 'raced', 'x-hold': '1' } });
    while (release === undefined) await new Promise((r) => setTimeout(r, 10));
    await redis.set(key('raced'), (await redis.get(key('seed')))!, 'PX', 600_000);
    release();
    release = undefined;
    assert.equal((await pending).status, 200);
    assert.equal((await stored('raced', 2))?.seen, 2, 'the request was replayed onto the other instance\'s value');
    let after = await scrape();
    for (let i = 0; i < 50 && after.conflicts === before.conflicts; i++) { await new Promise((r) => setTimeout(r, 100)); after = await scrape(); }
    assert.equal(after.conflicts, before.conflicts + 1);
    assert.equal(after.lost, 0);
  });

  test('a 4xx burst split between the gateways, below the threshold on each, is detected on the shared state', async () => {
    const calls = [['GET', '/v1/books'], ['GET', '/v1/books/1'], ['DELETE', '/v1/books/2']] as const;
    for (let i = 0; i < 6; i++) {
      const [method, path] = calls[i % 3]!;
      const r = await fetch(`${gws[i % 2]!.url}${path}`, { method, headers: { 'x-client': 'split-prober', 'x-deny': '1' } });
      assert.equal(r.status, 404);
    }
    const s = await stored('split-prober', 6);
    assert.equal(s?.cur.e4, 6);
    const line = await Promise.any(gws.map((g) => g.waitForLog((l) => l.event === 'anomaly.detected' && l.reason === 'probing', 15_000)));
    assert.match(String(line.excerpt), /^4xx burst: 6 client errors across 3 operations in this 1h window/);
  });
});
