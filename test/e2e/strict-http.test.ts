import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { parseRaw, rawRequest, type RawResponse } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

function problem(res: RawResponse): { code: string; status: number; instance: string } {
  assert.equal(res.headers['content-type'], 'application/problem+json', res.raw);
  return JSON.parse(res.body) as { code: string; status: number; instance: string };
}

describe('strict request heads (RFC 9112) and truthful records of HTTP-layer refusals', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  before(async () => {
    up = await startUpstream();
    const cfg = booksConfig(up.url, { server: '  headersTimeoutMs: 1000\n  requestTimeoutMs: 1500' });
    gw = await startGatewayProcess(cfg.file);
    port = Number(new URL(gw.url).port);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const refused = async (payload: string | string[], status: number, code: string, opts: { timeoutMs?: number } = {}) => {
    const before = up.seen.length;
    const res = await rawRequest(port, payload, opts);
    assert.equal(res.status, status, res.raw);
    assert.equal(problem(res).code, code);
    assert.equal(up.seen.length, before, 'nothing reached the upstream');
    return res;
  };

  test('attack: two Host headers get 400 (RFC 9112 §3.2), whichever comes first', async () => {
    await refused('GET /v1/books HTTP/1.1\r\nHost: good.example\r\nHost: evil.example\r\n\r\n', 400, 'PCL_BAD_HEADER');
    await refused('GET /v1/books HTTP/1.1\r\nhost: evil.example\r\nHOST: good.example\r\nConnection: close\r\n\r\n', 400, 'PCL_BAD_HEADER');
  });

  test('a missing Host on HTTP/1.1 gets 400 problem+json; HTTP/1.0 without Host is served', async () => {
    await refused('GET /v1/books HTTP/1.1\r\n\r\n', 400, 'PCL_BAD_HEADER');
    const ok = await rawRequest(port, 'GET /v1/books HTTP/1.0\r\n\r\n');
    assert.equal(ok.status, 200);
  });

  test('attack: invalid Host values get 400', async () => {
    for (const host of ['evil/x@y', 'a;for=6.6.6.6', 'a b', 'x:port', '']) {
      await refused(`GET /v1/books HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 400, 'PCL_BAD_HEADER');
    }
    for (const host of ['api.example.com', 'api.example.com:8443', '127.0.0.1:80', '[::1]:8080']) {
      const res = await rawRequest(port, `GET /v1/books HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 200, host);
    }
  });

  test('attack: Transfer-Encoding on an HTTP/1.0 request gets 400 and is never forwarded', async () => {
    await refused('POST /v1/books HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 400, 'PCL_REQUEST_SMUGGLING');
  });

  test('attack: Content-Length with Transfer-Encoding is PCL_REQUEST_SMUGGLING in either order', async () => {
    await refused('POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'PCL_REQUEST_SMUGGLING');
    await refused('POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n', 400, 'PCL_REQUEST_SMUGGLING');
  });

  test('CONNECT and unknown methods get 501 problem+json, not a silent close; known undeclared methods 405', async () => {
    await refused('CONNECT internal.example:443 HTTP/1.1\r\nHost: internal.example:443\r\n\r\n', 501, 'PCL_METHOD_NOT_IMPLEMENTED');
    await refused('FOO /v1/books HTTP/1.1\r\nHost: x\r\n\r\n', 501, 'PCL_METHOD_NOT_IMPLEMENTED');
    await refused('PROPFIND /v1/books HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405, 'PCL_METHOD_NOT_ALLOWED');
  });

  test('attack: a chunked body whose framing breaks mid-way never reaches the upstream, not even in part', async () => {
    const res = await refused([
      'POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
      // Sent after the head was routed: the first chunk is already in, then the framing breaks.
      'zz\r\nGET /v1/admin HTTP/1.1\r\n\r\n',
    ], 400, 'PCL_BAD_REQUEST');
    // The refusal is recorded against the request whose body broke, under the id the client saw.
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === res.headers['x-request-id']);
    assert.equal(line.status, 400);
    assert.equal(line.decision, 'refused');
    assert.equal(line.method, 'POST');
    assert.equal(line.operationId, 'createBook');
    // Streaming (today's main) would have started the request upstream and aborted it: give that time to show.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(up.aborted(), 0, 'no partial request was started upstream');
  });

  test('records: a body that stalls past requestTimeoutMs is logged and counted with 408 and decision refused, not status 0 / allowed', async () => {
    const res = await new Promise<RawResponse>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":'));
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve(parseRaw(Buffer.concat(chunks).toString('latin1'))));
      setTimeout(() => s.destroy(), 5000);
    });
    assert.equal(res.status, 408);
    const id = res.headers['x-request-id'];
    assert.equal(problem(res).instance, `urn:request:${id}`);
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === id);
    assert.equal(line.status, 408);
    assert.equal(line.decision, 'refused');
    assert.equal(line.code, 'PCL_REQUEST_TIMEOUT');
    assert.equal(line.operationId, 'createBook');
  });

  test('records: a parser refusal without any request object gets a request id, an access-log line and a metric', async () => {
    const res = await refused('GET /v1/books HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'PCL_BAD_HEADER');
    const id = res.headers['x-request-id'];
    assert.match(String(id), /.{8,}/);
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.reqId === id);
    assert.equal(line.status, 400);
    assert.equal(line.decision, 'refused');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/v1/books');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_requests_total\{[^}]*status="408"[^}]*decision="refused"[^}]*\} [1-9]/);
    assert.match(metrics, /portcullis_requests_total\{[^}]*status="400"[^}]*decision="refused"[^}]*\} [1-9]/);
    assert.doesNotMatch(metrics, /portcullis_requests_total\{[^}]*status="0"/);
  });
});
