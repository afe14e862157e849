import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Client, errors } from 'undici';
import { isGatewayError } from '../errors/index.js';
import { classifyUpstreamError, toGatewayError } from './upstream-errors.js';

const sockets = new Set<Socket>();
const servers: Server[] = [];

async function tcpServer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** Sends one GET with undici and returns what it rejected with (reading the whole body). */
async function failure(port: number, opts: { headersTimeout?: number; bodyTimeout?: number; signal?: AbortSignal } = {}): Promise<unknown> {
  const client = new Client(`http://127.0.0.1:${port}`, {
    headersTimeout: opts.headersTimeout ?? 5_000, bodyTimeout: opts.bodyTimeout ?? 5_000, connect: { timeout: 5_000 },
  });
  try {
    const res = await client.request({ path: '/', method: 'GET', signal: opts.signal });
    await res.body.text();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await client.destroy();
  }
}

describe('classifyUpstreamError against real loopback sockets', () => {
  let closedPort = 0;
  before(async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    closedPort = (probe.address() as { port: number }).port;
    probe.close();
    await once(probe, 'close');
  });
  after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  it('connection refused → connect → 502 PCL_UPSTREAM_UNAVAILABLE', async () => {
    const err = await failure(closedPort);
    assert.equal((err as { code?: string }).code, 'ECONNREFUSED');
    assert.equal(classifyUpstreamError(err), 'connect');
    const g = toGatewayError('connect', err);
    assert.equal(g.status, 502);
    assert.equal(g.code, 'PCL_UPSTREAM_UNAVAILABLE');
  });

  it('accepted but never answered → headers timeout → 504 PCL_UPSTREAM_TIMEOUT', async () => {
    const port = await tcpServer(() => {});
    const err = await failure(port, { headersTimeout: 100 });
    assert.equal((err as { code?: string }).code, 'UND_ERR_HEADERS_TIMEOUT');
    assert.equal(classifyUpstreamError(err), 'timeout');
    const g = toGatewayError('timeout', err);
    assert.equal(g.status, 504);
    assert.equal(g.code, 'PCL_UPSTREAM_TIMEOUT');
  });

  it('headers sent, then the body stalls → body timeout → timeout', async () => {
    const port = await tcpServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'));
    });
    const err = await failure(port, { bodyTimeout: 100 });
    assert.equal((err as { code?: string }).code, 'UND_ERR_BODY_TIMEOUT');
    assert.equal(classifyUpstreamError(err), 'timeout');
  });

  it('reset after the request was sent → other (not retry-safe) → 502', async () => {
    const port = await tcpServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const err = await failure(port);
    assert.equal((err as { code?: string }).code, 'ECONNRESET');
    assert.equal(classifyUpstreamError(err), 'other');
    assert.equal(toGatewayError('other', err).status, 502);
  });

  it('closed after the request was sent → other', async () => {
    const port = await tcpServer((socket) => {
      socket.once('data', () => socket.end());
    });
    const err = await failure(port);
    assert.equal((err as { code?: string }).code, 'UND_ERR_SOCKET');
    assert.equal(classifyUpstreamError(err), 'other');
  });

  it('garbage response → other', async () => {
    const port = await tcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n'));
    });
    assert.equal(classifyUpstreamError(await failure(port)), 'other');
  });

  it('aborted by our signal → aborted, also with a custom reason', async () => {
    const port = await tcpServer(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    assert.equal(classifyUpstreamError(await failure(port, { signal: ac.signal })), 'aborted');

    const custom = new AbortController();
    setTimeout(() => custom.abort(new Error('client went away')), 20);
    const err = await failure(port, { signal: custom.signal });
    assert.equal(classifyUpstreamError(err), 'other');
    assert.equal(classifyUpstreamError(err, custom.signal), 'aborted');
  });

  it('AbortSignal.timeout deadline → timeout', async () => {
    const port = await tcpServer(() => {});
    assert.equal(classifyUpstreamError(await failure(port, { signal: AbortSignal.timeout(50) })), 'timeout');
  });
});

describe('classifyUpstreamError on error values', () => {
  it('reads undici error classes', () => {
    assert.equal(classifyUpstreamError(new errors.ConnectTimeoutError()), 'connect');
    assert.equal(classifyUpstreamError(new errors.HeadersTimeoutError()), 'timeout');
    assert.equal(classifyUpstreamError(new errors.BodyTimeoutError()), 'timeout');
    assert.equal(classifyUpstreamError(new errors.RequestAbortedError()), 'aborted');
    assert.equal(classifyUpstreamError(new errors.SocketError('other side closed')), 'other');
    assert.equal(classifyUpstreamError(new errors.HeadersOverflowError()), 'other');
    assert.equal(classifyUpstreamError(new errors.ResponseContentLengthMismatchError()), 'other');
    assert.equal(classifyUpstreamError(new errors.ClientDestroyedError()), 'other');
  });

  it('reads DNS failures and failed handshakes as connect failures, refused certificates as tls', () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT']) {
      assert.equal(classifyUpstreamError(Object.assign(new Error(code), { code })), 'connect', code);
    }
    for (const code of ['ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED']) {
      assert.equal(classifyUpstreamError(Object.assign(new Error(code), { code })), 'tls', code);
    }
  });

  it('looks through fetch causes and happy-eyeballs AggregateErrors', () => {
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    assert.equal(classifyUpstreamError(new TypeError('fetch failed', { cause: refused })), 'connect');
    assert.equal(classifyUpstreamError(new AggregateError([refused, refused])), 'connect');
  });

  it('never throws on odd values, even a cyclic cause chain', () => {
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    for (const v of [undefined, null, 'ECONNREFUSED', 42, {}, cyclic, { code: 7 }, new Error('x')]) {
      assert.equal(classifyUpstreamError(v), 'other');
    }
  });
});

describe('toGatewayError', () => {
  it('keeps the upstream detail out of the public error', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:8080'), { code: 'ECONNREFUSED' });
    const g = toGatewayError('connect', cause);
    assert.equal(isGatewayError(g), true);
    assert.equal(g.detail, 'The upstream service could not be reached.');
    assert.ok(!g.message.includes('10.1.2.3'));
    assert.equal(g.internal, 'upstream connect error: ECONNREFUSED');
    assert.equal(g.stage, 'proxy');
    assert.equal(g.cause, cause);
  });

  it('maps aborted and other to 502', () => {
    assert.equal(toGatewayError('aborted').code, 'PCL_UPSTREAM_UNAVAILABLE');
    assert.equal(toGatewayError('other').status, 502);
    assert.equal(toGatewayError('other').internal, 'upstream other error');
  });
});
