import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

describe('request limits and hostile framing', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  before(async () => {
    up = await startUpstream();
    const cfg = booksConfig(up.url, {
      server: '  maxHeaderSize: 2048\n  headersTimeoutMs: 500\n  requestTimeoutMs: 2000\n  limits:\n    maxBodySize: 1000',
      apiExtra: '    operations:\n      upload:\n        limits:\n          maxBodySize: 5000\n          requestBufferSize: 1000',
    });
    gw = await startGatewayProcess(cfg.file);
    port = Number(new URL(gw.url).port);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('an oversized request head gets 431 problem+json', async () => {
    const res = await rawRequest(port, `GET /v1/books HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    assert.equal(res.status, 431);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(res.body).code, 'PCL_HEADERS_TOO_LARGE');
  });

  test('a declared body over the limit gets 413 before the upstream sees anything', async () => {
    const before = up.seen.length;
    const res = await rawRequest(port, `POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n${'a'.repeat(1001)}`);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.body).code, 'PCL_BODY_TOO_LARGE');
    assert.equal(res.headers.connection, 'close');
    assert.equal(up.seen.length, before);
  });

  test('a chunked body is cut off at the limit while streaming: 413', async () => {
    const chunk = 'a'.repeat(400);
    const parts = Array.from({ length: 5 }, () => `${(400).toString(16)}\r\n${chunk}\r\n`).join('');
    const res = await rawRequest(port, `POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${parts}0\r\n\r\n`);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.body).code, 'PCL_BODY_TOO_LARGE');
  });

  test('a chunked body of exactly the limit is forwarded; one byte more is 413', async () => {
    const chunked = (n: number) => `POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(500).toString(16)}\r\n${'a'.repeat(500)}\r\n${(n - 500).toString(16)}\r\n${'b'.repeat(n - 500)}\r\n0\r\n\r\n`;
    const at = await rawRequest(port, chunked(1000));
    assert.equal(at.status, 200, at.body);
    assert.equal(up.seen.at(-1)!.body.length, 1000);
    const before = up.seen.length;
    const over = await rawRequest(port, chunked(1001));
    assert.equal(over.status, 413);
    assert.equal(JSON.parse(over.body).code, 'PCL_BODY_TOO_LARGE');
    assert.ok(up.seen.length === before || up.seen.at(-1)!.body.length <= 1000, 'the upstream never gets more than the limit');
  });

  test('a body that streams past the request buffer is still cut off at the limit: exactly the limit passes, one byte more is 413', async () => {
    // upload: maxBodySize 5000, requestBufferSize 1000, so the body streams to the upstream after 1000 bytes.
    const chunked = (n: number) => `PUT /v1/uploads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(2500).toString(16)}\r\n${'a'.repeat(2500)}\r\n${(n - 2500).toString(16)}\r\n${'b'.repeat(n - 2500)}\r\n0\r\n\r\n`;
    const at = await rawRequest(port, chunked(5000));
    assert.equal(at.status, 200, at.body);
    assert.equal(up.seen.at(-1)!.body.length, 5000);
    const over = await rawRequest(port, chunked(5001));
    assert.equal(over.status, 413, over.body);
    assert.equal(JSON.parse(over.body).code, 'PCL_BODY_TOO_LARGE');
    assert.ok(up.seen.every((r) => r.body.length <= 5000), 'the upstream never gets more than the limit');
  });

  test('a chunked body under the limit is forwarded', async () => {
    const res = await rawRequest(port, 'POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assert.equal(res.status, 200);
    assert.equal(up.seen.at(-1)!.body.toString(), 'hello');
  });

  test('per-operation limits override the server default', async () => {
    const ok = await fetch(`${gw.url}/v1/uploads`, { method: 'PUT', body: 'x'.repeat(4000) });
    assert.equal(ok.status, 200);
    const big = await fetch(`${gw.url}/v1/uploads`, { method: 'PUT', body: 'x'.repeat(5001) });
    assert.equal(big.status, 413);
  });

  test('an invalid Content-Length gets 400 PCL_BAD_CONTENT_LENGTH', async () => {
    for (const cl of ['abc', '-1', '1, 2', '0x10']) {
      const res = await rawRequest(port, `POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: ${cl}\r\n\r\nab`);
      assert.equal(res.status, 400, cl);
      assert.equal(JSON.parse(res.body).code, 'PCL_BAD_CONTENT_LENGTH', cl);
    }
  });

  test('Content-Length with Transfer-Encoding is rejected and never forwarded', async () => {
    const before = up.seen.length;
    const smuggle = 'POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/admin/users HTTP/1.1\r\nHost: x\r\n\r\n';
    const res = await rawRequest(port, smuggle);
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 'PCL_REQUEST_SMUGGLING');
    const obfuscated = await rawRequest(port, 'POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n');
    assert.equal(obfuscated.status, 400);
    assert.equal(JSON.parse(obfuscated.body).code, 'PCL_REQUEST_SMUGGLING');
    assert.equal(up.seen.length, before);
  });

  test('a client that sends its head too slowly gets 408 (slowloris)', async () => {
    const res = await rawRequest(port, ['GET /v1/books HTTP/1.1\r\n', 'Host: x\r\n'], { timeoutMs: 4_000 });
    assert.equal(res.status, 408);
    assert.equal(JSON.parse(res.body).code, 'PCL_REQUEST_TIMEOUT');
  });

  test('a client aborting mid-upload of a buffered body never reaches the upstream', async () => {
    const seenBefore = up.seen.length;
    const abortedBefore = up.aborted();
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n' + 'a'.repeat(500));
        setTimeout(() => { s.destroy(); resolve(); }, 300);
      });
    });
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
    assert.equal(up.seen.length, seenBefore + 1, 'only the GET reached the upstream');
    assert.equal(up.aborted(), abortedBefore);
  });

  test('a client aborting mid-upload of a streamed body does not leak the upstream connection', async () => {
    const abortedBefore = up.aborted();
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        // Over the operation's requestBufferSize (1000): it streams once 1000 bytes are in.
        s.write('PUT /v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n' + 'a'.repeat(1100));
        setTimeout(() => { s.destroy(); resolve(); }, 300);
      });
    });
    // The gateway aborts its upstream request, so the upstream sees that request's connection go.
    for (let i = 0; i < 50 && up.aborted() === abortedBefore; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(up.aborted(), abortedBefore + 1);
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
  });
});
