import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

/** The value of one exposition line (`name{labels}`), or NaN when absent. */
function metricValue(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/** Reads `read` until it returns `want` (records published once per second arrive late), bounded by attempts; returns the last value. */
async function settle<T>(read: () => Promise<T>, want: T, attempts = 100): Promise<T> {
  let got = await read();
  for (let i = 0; i < attempts && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 50));
    got = await read();
  }
  return got;
}

const BLOCK = fileURLToPath(new URL('../helpers/block-loop.js', import.meta.url));

/** Requests `url` until `want(status)` holds; bounded by attempts, not by machine speed. */
async function until(url: string, want: (status: number) => boolean, attempts = 200): Promise<Response> {
  for (let i = 0; i < attempts; i++) {
    const res = await fetch(url);
    if (want(res.status)) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no matching status after ${attempts} requests`);
}

describe('overload protection (server.overload)', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const server = '  overload:\n    eventLoopDelayMs: 30\n    checkIntervalMs: 100\n    retryAfterSeconds: 3\n';
    gw = await startGatewayProcess(booksConfig(up.url, { server }).file, { env: { NODE_OPTIONS: `--import ${BLOCK}` } });
  });
  after(async () => {
    await gw.stop();
    await up.close();
  });

  test('a blocked event loop sheds new requests with 503 PCL_OVERLOADED + Retry-After; admin never; it recovers by itself', async () => {
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
    gw.child.kill('SIGUSR2'); // the event loop is now blocked 80 % of the time
    try {
      const shed = await until(`${gw.url}/v1/books`, (s) => s !== 200);
      assert.equal(shed.status, 503);
      assert.equal(shed.headers.get('retry-after'), '3');
      assert.match(shed.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(shed.headers.get('x-request-id'));
      const problem = await shed.json() as { code: string; status: number };
      assert.equal(problem.code, 'PCL_OVERLOADED');
      assert.equal(problem.status, 503);
      await gw.waitForLog((l) => l.msg === 'overloaded: shedding new requests with 503 PCL_OVERLOADED');
      // Still overloaded: health and metrics on the admin listener answer anyway.
      assert.equal((await fetch(`${gw.url}/v1/books`)).status, 503);
      assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200);
      const metrics = await fetch(`${gw.adminUrl}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /code="PCL_OVERLOADED"/);
    } finally {
      gw.child.kill('SIGUSR2'); // the load stops
    }
    const back = await until(`${gw.url}/v1/books`, (s) => s === 200);
    assert.equal(back.status, 200);
    await gw.waitForLog((l) => l.msg === 'overload over: accepting requests again');
  });
});

describe('overload protection: requests in flight (server.overload.maxInFlight)', () => {
  const TOKEN = 'admin-token-0123456789abcdef';
  const LIMIT = 4;
  let up: FakeUpstream;
  let gw: GatewayProcess;
  // The upstream holds every response until the test lets them go: the requests stay in flight.
  let held: (() => void)[] = [];
  let holding = true;
  let arrived: () => void = () => {};
  const release = () => { for (const go of held.splice(0)) go(); };
  before(async () => {
    up = await startUpstream((_req, res) => {
      const answer = () => { res.writeHead(200, { 'content-type': 'application/json' }).end('[]'); };
      if (!holding) {
        answer();
        return;
      }
      held.push(answer);
      arrived();
    });
    const server = `  overload:\n    maxInFlight: ${LIMIT}\n    retryAfterSeconds: 2\n`;
    gw = await startGatewayProcess(booksConfig(up.url, { server, admin: '  token: ${ADMIN_TOKEN}' }).file, { env: { ADMIN_TOKEN: TOKEN } });
  });
  after(async () => {
    release();
    await gw.stop();
    await up.close();
  });

  const scrape = async (): Promise<string> => (await fetch(`${gw.adminUrl}/metrics`)).text();

  /** Waits until the log lines matching `pred` carry `want` requests in their `count`s; fails past it or after a bounded wait. */
  async function loggedSum(pred: (l: Record<string, unknown>) => boolean, want: number): Promise<void> {
    const sum = async () => gw.logs.filter(pred).reduce((n, l) => n + Number(l.count), 0);
    assert.equal(await settle(sum, want), want);
  }

  /** Starts `n` requests and resolves once the upstream holds all of them; fails if they are answered first. */
  async function fill(n: number, init: (i: number) => RequestInit = () => ({})): Promise<Promise<Response | undefined>[]> {
    const reached = new Promise<void>((resolve) => { arrived = () => { if (held.length >= n) resolve(); }; });
    const pending = Array.from({ length: n }, (_, i) => fetch(`${gw.url}/v1/books`, init(i)).catch(() => undefined));
    const answered = Promise.all(pending).then(() => { throw new Error('the requests were answered before the upstream held them all'); });
    await Promise.race([reached, answered]);
    return pending;
  }

  test('past the limit: 503 PCL_OVERLOADED + Retry-After at once, the upstream never sees it; health, metrics and the admin API answer; the held requests finish; it recovers', async () => {
    const pending = await fill(LIMIT);
    const seen = up.seen.length;
    assert.equal(metricValue(await scrape(), 'portcullis_requests_in_flight'), LIMIT, 'the held requests are in flight');
    // A burst past the limit, as a flood would send it: every one refused, none forwarded.
    // GET, HEAD and POST with a body: each method is counted, and an unread body closes the connection.
    const init = (i: number): RequestInit => (i % 3 === 0 ? {} : i % 3 === 1 ? { method: 'HEAD' } : { method: 'POST', body: '{"title":"x"}', headers: { 'content-type': 'application/json', 'x-request-id': `flood-${i}-0123` } });
    const burst = await Promise.all(Array.from({ length: 3 * LIMIT }, (_, i) => fetch(`${gw.url}/v1/books`, init(i))));
    for (const [i, shed] of burst.entries()) {
      assert.equal(shed.status, 503);
      assert.equal(shed.headers.get('retry-after'), '2');
      assert.equal(shed.headers.get('content-type'), 'application/problem+json');
      assert.equal(shed.headers.get('cache-control'), 'no-store');
      assert.equal(shed.headers.get('x-content-type-options'), 'nosniff', 'security headers as on every response');
      const id = shed.headers.get('x-request-id') ?? '';
      if (i % 3 === 1) {
        assert.equal(await shed.text(), '', 'HEAD: no body');
        continue;
      }
      if (i % 3 === 2) {
        assert.equal(id, `flood-${i}-0123`, "the client's valid request id is kept");
        assert.equal(shed.headers.get('connection'), 'close', 'the unread body cannot be followed by another request');
      } else assert.match(id, /^[0-9a-f-]{36}$/);
      const text = await shed.text();
      assert.equal(Number(shed.headers.get('content-length')), Buffer.byteLength(text));
      assert.deepEqual(JSON.parse(text), {
        type: 'https://portcullis.dev/problems/overloaded', title: 'Service Unavailable', status: 503, code: 'PCL_OVERLOADED',
        instance: `urn:request:${id}`, detail: 'The gateway is overloaded; retry later.',
      });
    }
    assert.equal(up.seen.length, seen, 'a shed request must not reach the upstream');
    // The admin listener is never shed: balancers, scrapes and operators still get through.
    assert.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200);
    // Every shed request is in the metrics, exactly, at the first scrape after it (ADR 0032).
    const metrics = await scrape();
    const counted = (method: string) => metricValue(metrics, `portcullis_requests_total{api="(none)",operation="(unmatched)",method="${method}",status="503",decision="refused"}`);
    assert.deepEqual([counted('GET'), counted('HEAD'), counted('POST')], [LIMIT, LIMIT, LIMIT]);
    assert.equal(metricValue(metrics, 'portcullis_rejections_total{stage="overload",code="PCL_OVERLOADED"}'), 3 * LIMIT);
    assert.equal(metricValue(metrics, 'portcullis_requests_in_flight'), LIMIT, 'shed requests are never in flight');
    // The access log and the security events carry them in aggregate: counts per interval and client, summing to the 503s.
    await loggedSum((l) => l.msg === 'requests shed', 3 * LIMIT);
    const line = gw.logs.find((l) => l.msg === 'requests shed')!;
    assert.equal(line.status, 503);
    assert.equal(line.code, 'PCL_OVERLOADED');
    assert.equal(line.decision, 'refused');
    await loggedSum((l) => l.msg === 'security event' && l.event === 'overload.shed' && l.client === '127.0.0.1', 3 * LIMIT);
    assert.equal(metricValue(await scrape(), 'portcullis_security_events_total{kind="overload.shed",reason="overloaded"}'), 3 * LIMIT);
    assert.equal((await fetch(`${gw.adminUrl}/admin/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    // The requests admitted before the flood are served, not dropped.
    release();
    for (const res of await Promise.all(pending)) {
      assert.equal(res?.status, 200);
      await res?.arrayBuffer();
    }
    // Recovery needs no timer: the next request is admitted as soon as those left.
    holding = false;
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
    assert.equal(await settle(async () => metricValue(await scrape(), 'portcullis_requests_in_flight'), 0), 0, 'every admitted request left');
  });

  test('aborted clients leave the count: the slots of requests whose client went away are reused', async () => {
    holding = true;
    const controllers = Array.from({ length: LIMIT }, () => new AbortController());
    const pending = await fill(LIMIT, (i) => ({ signal: controllers[i]!.signal }));
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 503);
    for (const c of controllers) c.abort();
    await Promise.all(pending);
    holding = false;
    release();
    // Closing is seen by the gateway a little later: retry until a request is admitted again.
    const got = await until(`${gw.url}/v1/books`, (s) => s !== 503).catch((err: unknown) => err);
    assert.ok(!(got instanceof Error), 'the slots of aborted requests were never given back');
  });
});

test('server.overload.maxInFlight is validated with file and line', async () => {
  const { file } = booksConfig('http://127.0.0.1:9', { server: '  overload:\n    maxInFlight: -1\n' });
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /portcullis\.yaml:\d+ server\.overload\.maxInFlight: /);
});
