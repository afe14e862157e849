import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FIXED_BODY, startFixedUpstream } from './fixed-upstream.js';
import { startMinimalProxy } from './minimal-proxy.js';
import { makeCert } from '../test/helpers/certs.js';

describe('bench baselines', () => {
  it('the fixed upstream answers any path with the constant ~200-byte body', async () => {
    const up = await startFixedUpstream(0);
    try {
      for (const path of ['/', '/v1/items/42']) {
        const res = await fetch(`http://127.0.0.1:${up.port}${path}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/json');
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), FIXED_BODY);
      }
      assert.ok(FIXED_BODY.length >= 180 && FIXED_BODY.length <= 240, `body is ${FIXED_BODY.length} bytes`);
    } finally {
      await up.close();
    }
  });

  it('with a certificate the fixed upstream serves the same body over HTTPS only, verifiable against that certificate', async () => {
    const { cert, key, dir } = makeCert('fixed');
    const up = await startFixedUpstream(0, '127.0.0.1', { cert: readFileSync(cert), key: readFileSync(key) });
    const get = (ca?: Buffer) => new Promise<Buffer>((resolve, reject) => {
      tlsRequest({ host: '127.0.0.1', port: up.port, path: '/v1/items/42', ...(ca === undefined ? {} : { ca }) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      }).on('error', reject).end();
    });
    try {
      assert.deepEqual(await get(readFileSync(cert)), FIXED_BODY);
      // Not a trusted certificate, and not plain HTTP: the bench's `tls` row measures a verified handshake.
      await assert.rejects(get(), /self-signed|self signed/);
      await assert.rejects(fetch(`http://127.0.0.1:${up.port}/`));
    } finally {
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('minimal proxy', () => {
    let seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(req.url === '/missing' ? 404 : 201, { 'content-type': 'text/plain', 'x-upstream': 'yes', connection: 'keep-alive' });
        res.end(`echo ${req.method} ${req.url}`);
      });
    });
    let proxy: { port: number; close(): Promise<void> };
    before(async () => {
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      proxy = await startMinimalProxy(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`, 0);
    });
    after(async () => {
      await proxy.close();
      echo.closeAllConnections();
      await new Promise<void>((r) => echo.close(() => r()));
    });

    it('forwards method, path, query, headers and body, and returns status, headers and body', async () => {
      seen = [];
      const res = await fetch(`http://127.0.0.1:${proxy.port}/a/b?x=1`, { method: 'POST', headers: { 'x-client': 'c1', 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-upstream'), 'yes');
      assert.equal(await res.text(), 'echo POST /a/b?x=1');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.url, '/a/b?x=1');
      assert.equal(seen[0]!.headers['x-client'], 'c1');
      assert.equal(seen[0]!.body, 'hello');
    });

    it('passes upstream error statuses through unchanged', async () => {
      const res = await fetch(`http://127.0.0.1:${proxy.port}/missing`);
      assert.equal(res.status, 404);
      assert.equal(await res.text(), 'echo GET /missing');
    });

    it('does not forward hop-by-hop request headers', async () => {
      seen = [];
      // fetch refuses to send these, so the request is made with node:http.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: '/h', headers: { 'keep-alive': 'timeout=99', 'proxy-authorization': 'Basic eDp5', 'x-kept': '1' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 201);
      assert.equal(seen[0]!.headers['x-kept'], '1');
      assert.equal(seen[0]!.headers['keep-alive'], undefined);
      assert.equal(seen[0]!.headers['proxy-authorization'], undefined);
    });

    it('answers 502 when the upstream is down', async () => {
      const dead = await startMinimalProxy('http://127.0.0.1:1', 0);
      try {
        const res = await fetch(`http://127.0.0.1:${dead.port}/`);
        assert.equal(res.status, 502);
        assert.equal(await res.text(), 'bad gateway');
      } finally {
        await dead.close();
      }
    });
  });
});
