import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

/** Opens a connection and resolves when it is closed by the server (or after timeoutMs with 'open'). */
function watchConnection(port: number, send: string | undefined, timeoutMs: number): Promise<{ closed: boolean; data: string; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => resolve({ closed: false, data, socket }), timeoutMs);
    socket.on('connect', () => { if (send !== undefined) socket.write(send); });
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(t); resolve({ closed: true, data, socket }); });
  });
}

describe('connection handling', () => {
  const gateways: GatewayProcess[] = [];
  const upstreams: FakeUpstream[] = [];
  after(async () => {
    for (const g of gateways) await g.stop();
    for (const u of upstreams) await u.close();
  });

  test('connections beyond server.maxConnections are refused; the first ones keep working', async () => {
    const up = await startUpstream();
    upstreams.push(up);
    const gw = await startGatewayProcess(booksConfig(up.url, { server: '  maxConnections: 2' }).file);
    gateways.push(gw);
    const port = Number(new URL(gw.url).port);
    const a = net.connect(port, '127.0.0.1');
    const b = net.connect(port, '127.0.0.1');
    await Promise.all([a, b].map((s) => new Promise((r) => s.once('connect', r))));
    await new Promise((r) => setTimeout(r, 100));
    const third = await watchConnection(port, 'GET /v1/books HTTP/1.1\r\nHost: x\r\n\r\n', 2_000);
    assert.equal(third.closed, true, 'the third connection is closed by the gateway');
    assert.equal(third.data, '', 'and gets no response');
    const ok = await new Promise<string>((resolve) => {
      let data = '';
      a.on('data', (d: Buffer) => { data += d.toString(); if (data.includes('\r\n\r\n')) resolve(data); });
      a.write('GET /v1/books HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.match(ok, /^HTTP\/1\.1 200/);
    a.destroy();
    b.destroy();
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const up = await startUpstream();
    upstreams.push(up);
    const gw = await startGatewayProcess(booksConfig(up.url, { server: '  keepAliveTimeoutMs: 300' }).file);
    gateways.push(gw);
    const port = Number(new URL(gw.url).port);
    const r = await watchConnection(port, 'GET /v1/books HTTP/1.1\r\nHost: x\r\n\r\n', 5_000);
    assert.match(r.data, /^HTTP\/1\.1 200/);
    assert.equal(r.closed, true, 'closed by the server once idle');
  });

  test('X-Forwarded-For is believed from a trusted proxy: the client is the first untrusted hop', async () => {
    const up = await startUpstream();
    upstreams.push(up);
    const gw = await startGatewayProcess(booksConfig(up.url, { server: '  trustedProxies: [127.0.0.1/32, 10.0.0.0/8]' }).file);
    gateways.push(gw);
    const res = await fetch(`${gw.url}/v1/books`, { headers: { 'x-forwarded-for': '203.0.113.9, 10.1.2.3', 'x-forwarded-proto': 'https' } });
    assert.equal(res.status, 200);
    const seen = up.seen.at(-1)!;
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 10.1.2.3, 203.0.113.9');
    assert.equal(seen.headers['x-real-ip'], '203.0.113.9');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === res.headers.get('x-request-id'));
    assert.equal(line.client, '203.0.113.9');
  });
});
