import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream } from '../helpers/upstream.js';
import { freePort } from '../helpers/redis.js';

/** Closes a raw server and every socket it still holds. */
function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  return sockets;
}

describe('upstream failures', () => {
  // Gateways stop first (closing their upstream connections), then the upstreams.
  const cleanup: (() => Promise<unknown>)[] = [];
  const servers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup) await c();
    for (const c of servers) await c();
  });

  test('an unreachable upstream gets 502 problem+json without internals', async () => {
    const port = await freePort();
    const gw = await startGatewayProcess(booksConfig(`http://127.0.0.1:${port}`, { apiExtra: '    retries: 0' }).file);
    cleanup.push(() => gw.stop());
    const res = await fetch(`${gw.url}/v1/books`);
    assert.equal(res.status, 502);
    const text = await res.text();
    const p = JSON.parse(text) as { code: string };
    assert.equal(p.code, 'PCL_UPSTREAM_UNAVAILABLE');
    assert.doesNotMatch(text, /ECONNREFUSED|127\.0\.0\.1|undici/);
  });

  test('a slow upstream gets 504', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url === '/v1/slow') setTimeout(() => { res.end('late'); }, 1500);
      else res.end('ok');
    });
    servers.push(() => up.close());
    const gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: '    timeouts:\n      headersMs: 300' }).file);
    cleanup.push(() => gw.stop());
    const res = await fetch(`${gw.url}/v1/slow`);
    assert.equal(res.status, 504);
    assert.equal((await res.json() as { code: string }).code, 'PCL_UPSTREAM_TIMEOUT');
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
  });

  test('the circuit opens after consecutive failures and closes after the cooldown', async () => {
    const port = await freePort();
    const gw = await startGatewayProcess(booksConfig(`http://127.0.0.1:${port}`, { apiExtra: '    retries: 0\n    circuitBreaker:\n      failureThreshold: 3\n      cooldownMs: 800' }).file);
    cleanup.push(() => gw.stop());
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${gw.url}/v1/books`)).status, 502);
    const open = await fetch(`${gw.url}/v1/books`);
    assert.equal(open.status, 503);
    assert.equal((await open.json() as { code: string }).code, 'PCL_UPSTREAM_CIRCUIT_OPEN');
    assert.ok(open.headers.get('retry-after') !== null);
    // Bring the upstream up on that port; after the cooldown one trial request closes the circuit.
    const up = net.createServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    const upSockets = track(up);
    await new Promise<void>((r) => up.listen(port, '127.0.0.1', r));
    servers.push(() => closeServer(up, upSockets));
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
  });

  test('idempotent requests are retried on a connection failure; others are not', async () => {
    let connections = 0;
    // Every other connection is reset before a response: a retry lands on a good one.
    const flaky = net.createServer((s) => {
      connections += 1;
      if (connections % 2 === 1) { s.destroy(); return; }
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    });
    const flakySockets = track(flaky);
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    servers.push(() => closeServer(flaky, flakySockets));
    const gw = await startGatewayProcess(booksConfig(`http://127.0.0.1:${(flaky.address() as net.AddressInfo).port}`, { apiExtra: '    retries: 1' }).file);
    cleanup.push(() => gw.stop());
    const get = await fetch(`${gw.url}/v1/books`);
    assert.equal(get.status, 200);
    assert.equal(connections, 2);
    const post = await fetch(`${gw.url}/v1/books`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 502);
    assert.equal(connections, 3);
  });
});
