import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { makeCert, type TestCert } from '../helpers/certs.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

function handshake(port: number, opts: tls.ConnectionOptions): Promise<{ ok: boolean; protocol?: string | null; cipher?: string; subject?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const r = { ok: true, protocol: s.getProtocol(), cipher: s.getCipher().name, subject: String(s.getPeerCertificate().subject?.CN) };
      s.end();
      resolve(r);
    });
    s.on('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    let raw = '';
    s.on('data', (d: Buffer) => { raw += d.toString(); });
    s.on('end', () => {
      const [head] = raw.split('\r\n\r\n');
      const [status, ...lines] = head!.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
      resolve({ status: Number(status!.split(' ')[1]), headers });
    });
    s.on('error', reject);
  });
}

describe('TLS listener', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  let one: TestCert;
  before(async () => {
    up = await startUpstream();
    one = makeCert('one');
    // The listener reads live.crt/live.key, which the test later swaps for another pair.
    copyFileSync(one.cert, `${one.dir}/live.crt`);
    copyFileSync(one.key, `${one.dir}/live.key`);
    const cfg = booksConfig(up.url, { server: `  http: false\n  tls:\n    host: 127.0.0.1\n    port: 0\n    cert: ${one.dir}/live.crt\n    key: ${one.dir}/live.key` });
    gw = await startGatewayProcess(cfg.file);
    port = Number(new URL(gw.httpsUrl!).port);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('serves HTTPS with HSTS and the security headers', async () => {
    const res = await httpsGet(port, '/v1/books', readFileSync(one.cert, 'utf8'));
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  test('TLS 1.3 is preferred; TLS 1.2 works with a forward-secret AEAD suite', async () => {
    const best = await handshake(port, {});
    assert.equal(best.protocol, 'TLSv1.3');
    const v12 = await handshake(port, { maxVersion: 'TLSv1.2' });
    assert.equal(v12.protocol, 'TLSv1.2');
    assert.match(v12.cipher!, /^ECDHE-.*GCM|CHACHA20/);
  });

  test('TLS 1.1 and weak ciphers are refused', async () => {
    const old = await handshake(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    assert.equal(old.ok, false);
    const cbc = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:AES128-SHA' });
    assert.equal(cbc.ok, false);
  });

  test('a replaced certificate is served without a restart', async () => {
    assert.equal((await handshake(port, {})).subject, 'one');
    const two = makeCert('two', one.dir);
    copyFileSync(two.key, `${one.dir}/live.key`);
    copyFileSync(two.cert, `${one.dir}/live.crt`);
    let subject: string | undefined;
    for (let i = 0; i < 60 && subject !== 'two'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      subject = (await handshake(port, {})).subject;
    }
    assert.equal(subject, 'two');
  });
});
