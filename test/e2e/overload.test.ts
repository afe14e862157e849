import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

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
