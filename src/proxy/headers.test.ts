import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { request as undiciRequest } from 'undici';
import type { ClientInfo } from '../pipeline/context.js';
import { buildUpstreamHeaders, filterRawResponseHeaders, filterResponseHeaders } from './headers.js';

const client: ClientInfo = { ip: '203.0.113.9', peer: '203.0.113.9', port: 40000, tls: false, proto: 'http', host: 'api.example.com' };
const base = { client, requestId: 'req-12345678', upstreamHost: 'backend.internal:3000', trustedPeer: false };

describe('buildUpstreamHeaders', () => {
  it('removes hop-by-hop fields and expect, keeps end-to-end ones', () => {
    const out = buildUpstreamHeaders({
      accept: 'application/json', authorization: 'Bearer t', connection: 'keep-alive', 'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive', te: 'trailers', 'transfer-encoding': 'chunked', upgrade: 'websocket', trailer: 'x-t',
      'proxy-authorization': 'Basic eA==', 'proxy-authenticate': 'Basic', expect: '100-continue', 'http2-settings': 'AAA',
      'content-type': 'application/json', 'content-length': '2', cookie: 'a=1; b=2',
    }, base);
    for (const gone of ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer',
      'proxy-authorization', 'proxy-authenticate', 'expect', 'http2-settings']) {
      assert.equal(out[gone], undefined, gone);
    }
    assert.equal(out.accept, 'application/json');
    assert.equal(out.authorization, 'Bearer t');
    assert.equal(out['content-type'], 'application/json');
    assert.equal(out['content-length'], '2');
    assert.equal(out.cookie, 'a=1; b=2');
  });

  it('drops every field the client names in Connection (attack: Connection: close, x-secret)', () => {
    const out = buildUpstreamHeaders({ connection: 'close, X-Secret ,x-other', 'x-secret': 'leak', 'x-other': '1', 'x-kept': '2' }, base);
    assert.equal(out['x-secret'], undefined);
    assert.equal(out['x-other'], undefined);
    assert.equal(out['x-kept'], '2');
  });

  it('cannot be made to drop the fields the gateway writes or the body framing (attack)', () => {
    const out = buildUpstreamHeaders({
      connection: 'x-forwarded-for, forwarded, x-request-id, host, content-length, content-type, x-real-ip',
      'content-length': '5', 'content-type': 'application/json',
    }, base);
    assert.equal(out['x-forwarded-for'], '203.0.113.9');
    assert.equal(out.forwarded, 'for=203.0.113.9;proto=http;host=api.example.com');
    assert.equal(out['x-request-id'], 'req-12345678');
    assert.equal(out['x-real-ip'], '203.0.113.9');
    assert.equal(out.host, 'backend.internal:3000');
    assert.equal(out['content-length'], '5');
    assert.equal(out['content-type'], 'application/json');
  });

  it('replaces spoofed forwarding fields from an untrusted peer (attack)', () => {
    const out = buildUpstreamHeaders({
      'x-forwarded-for': '1.1.1.1', forwarded: 'for=1.1.1.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example',
      'x-real-ip': '1.1.1.1', 'x-request-id': 'client-chosen', 'x-original-url': '/admin', 'x-rewrite-url': '/admin',
      'x-forwarded-port': '443', 'x-forwarded-prefix': '/admin', 'true-client-ip': '1.1.1.1', 'x-client-ip': '1.1.1.1',
      'x-cluster-client-ip': '1.1.1.1', 'x-forwarded-server': 'evil',
    }, base);
    assert.deepEqual(out, {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      forwarded: 'for=203.0.113.9;proto=http;host=api.example.com',
      'x-real-ip': '203.0.113.9',
      'x-request-id': 'req-12345678',
      host: 'backend.internal:3000',
    });
  });

  it('appends to the lists of a trusted proxy and keeps its routing claims', () => {
    const out = buildUpstreamHeaders({
      'x-forwarded-for': ['1.1.1.1, 203.0.113.9', '10.0.0.5'], forwarded: 'for=203.0.113.9;proto=https', 'x-forwarded-port': '443',
      'x-original-url': '/admin',
    }, { ...base, client: { ...client, peer: '10.0.0.2', proto: 'https' }, trustedPeer: true });
    assert.equal(out['x-forwarded-for'], '1.1.1.1, 203.0.113.9, 10.0.0.5, 203.0.113.9');
    assert.equal(out.forwarded, 'for=203.0.113.9;proto=https, for=203.0.113.9;proto=https;host=api.example.com');
    assert.equal(out['x-forwarded-proto'], 'https');
    assert.equal(out['x-forwarded-port'], '443');
    assert.equal(out['x-original-url'], undefined); // never honoured, whoever sends it
  });

  it('quotes an IPv6 client in Forwarded and omits an unknown host', () => {
    const out = buildUpstreamHeaders({}, { ...base, client: { ...client, ip: '2001:db8::1', host: '' } });
    assert.equal(out.forwarded, 'for="[2001:db8::1]";proto=http');
    assert.equal(out['x-forwarded-host'], undefined);
    assert.equal(out['x-forwarded-for'], '2001:db8::1');
  });

  it('sets Host to the upstream unless preserveHost', () => {
    assert.equal(buildUpstreamHeaders({ host: 'api.example.com' }, base).host, 'backend.internal:3000');
    assert.equal(buildUpstreamHeaders({ host: 'api.example.com' }, { ...base, preserveHost: true }).host, 'api.example.com');
    const noHost = { ...base, preserveHost: true, client: { ...client, host: '' } };
    assert.equal(buildUpstreamHeaders({}, noHost).host, 'backend.internal:3000');
  });

  it('drops HTTP/2 pseudo-headers', () => {
    const out = buildUpstreamHeaders({ ':method': 'GET', ':path': '/x', ':authority': 'a', accept: '*/*' } as IncomingHttpHeaders, base);
    assert.equal(out[':method'], undefined);
    assert.equal(out[':path'], undefined);
    assert.equal(out.accept, '*/*');
  });

  it('keeps multi-valued fields as arrays', () => {
    const out = buildUpstreamHeaders({ 'x-multi': ['a', 'b'] } as IncomingHttpHeaders, base);
    assert.deepEqual(out['x-multi'], ['a', 'b']);
  });
});

describe('filterRawResponseHeaders', () => {
  const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

  it('lower-cases names, drops hop-by-hop fields and joins repeated ones into arrays', () => {
    const out = filterRawResponseHeaders(raw(
      'Content-Type', 'application/json', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Set-Cookie', 'c=3', 'ETag', '"x"',
    ));
    assert.deepEqual(out, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2', 'c=3'], etag: '"x"' });
  });

  it('drops the fields the upstream nominates in Connection, but never the body framing', () => {
    const out = filterRawResponseHeaders(raw('Connection', 'X-Internal, close', 'connection', 'Content-Length', 'X-Internal', 'secret', 'Content-Length', '2', 'X-Other', 'ok'));
    assert.deepEqual(out, { 'content-length': '2', 'x-other': 'ok' });
  });

  it('keeps non-ASCII value bytes unchanged (latin1 round trip)', () => {
    const value = Buffer.from('café €', 'utf8');
    const out = filterRawResponseHeaders([Buffer.from('x-name'), value]);
    assert.deepEqual(Buffer.from(out['x-name'] as string, 'latin1'), value);
  });
});

describe('filterResponseHeaders', () => {
  it('removes hop-by-hop fields and those the upstream names in Connection', () => {
    const out = filterResponseHeaders({
      'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'keep-alive': 'timeout=5', connection: 'keep-alive, x-internal',
      'x-internal': 'secret', 'proxy-connection': 'x', upgrade: 'h2c', trailer: 'x', te: 'x', 'proxy-authenticate': 'Basic',
      'set-cookie': ['a=1', 'b=2'], etag: '"x"', 'x-undefined': undefined,
    });
    assert.deepEqual(out, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], etag: '"x"' });
  });

  it('does not let Connection remove content-length', () => {
    assert.deepEqual(filterResponseHeaders({ connection: 'content-length', 'content-length': '3' }), { 'content-length': '3' });
  });
});

describe('buildUpstreamHeaders over real sockets', () => {
  it('produces headers undici accepts and the upstream receives as built', async () => {
    let seen: IncomingHttpHeaders | undefined;
    const upstream = createServer((req, res) => {
      seen = req.headers;
      res.setHeader('x-internal', 'secret');
      res.setHeader('connection', 'x-internal');
      res.end('ok');
    });
    const upstreamPort = await listen(upstream);
    const gateway = createServer((req, res) => {
      const headers = buildUpstreamHeaders(req.headers, { ...base, upstreamHost: `127.0.0.1:${upstreamPort}` });
      undiciRequest(`http://127.0.0.1:${upstreamPort}/`, { method: 'POST', headers, body: req }).then(async (up) => {
        res.writeHead(up.statusCode, filterResponseHeaders(up.headers));
        res.end(await up.body.text());
      }, (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    const gatewayPort = await listen(gateway);
    try {
      const { status, headers, body } = await send(gatewayPort, {
        connection: 'keep-alive, x-secret', 'x-secret': 's', 'keep-alive': 'timeout=5', te: 'trailers', expect: '100-continue',
        'content-type': 'text/plain', 'x-forwarded-for': '1.1.1.1',
      }, 'hello');
      assert.equal(body, 'ok');
      assert.equal(status, 200);
      assert.equal(headers['x-internal'], undefined);
      assert.ok(seen);
      assert.equal(seen['x-secret'], undefined);
      assert.equal(seen.te, undefined);
      assert.equal(seen.expect, undefined);
      assert.equal(seen['x-forwarded-for'], '203.0.113.9');
      assert.equal(seen['x-request-id'], 'req-12345678');
      assert.equal(seen.host, `127.0.0.1:${upstreamPort}`);
    } finally {
      upstream.close();
      gateway.close();
      upstream.closeAllConnections();
      gateway.closeAllConnections();
    }
  });
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function send(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    // Expect: 100-continue makes Node wait; the server answers 100 automatically.
    req.on('continue', () => req.end(body));
  });
}
