import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createTestCa, type IssuedCert, type TestCa } from '../fixtures/authn-keys/pki.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { spkiPin } from '../../src/proxy/upstream-tls.js';

/** A real HTTPS upstream; records each request it sees with the client certificate's CN. */
interface TlsUpstream { url: string; seen: { path: string; clientCn: string | undefined }[]; close(): Promise<void> }

async function startTlsUpstream(cert: IssuedCert, opts: { clientCa?: string; maxVersion?: 'TLSv1.2' } = {}): Promise<TlsUpstream> {
  const seen: TlsUpstream['seen'] = [];
  const server = https.createServer({
    cert: readFileSync(cert.cert), key: readFileSync(cert.key),
    ...(opts.clientCa !== undefined ? { ca: readFileSync(opts.clientCa), requestCert: true, rejectUnauthorized: true } : {}),
    ...(opts.maxVersion !== undefined ? { maxVersion: opts.maxVersion } : {}),
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer?.subject?.CN;
    seen.push({ path: req.url ?? '', clientCn: Array.isArray(cn) ? cn[0] : cn });
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, seen, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function apiYaml(name: string, upstream: string, tls: string): string {
  return `  - name: ${name}\n    upstream: ${upstream}\n    prefixes: [/${name}]\n    retries: 0\n    circuitBreaker:\n      enabled: false\n${tls}`;
}

async function problem(url: string): Promise<{ status: number; code: unknown; requestId: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  let code: unknown;
  try { code = (JSON.parse(text) as { code?: unknown }).code; } catch { code = undefined; }
  return { status: res.status, code, requestId: res.headers.get('x-request-id') };
}

describe('upstream TLS: trust, SPKI pins, client certificates, minimum version, SNI name', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let server: IssuedCert;
  let named: IssuedCert;
  let client: IssuedCert;
  let plain: TlsUpstream;
  let mtls: TlsUpstream;
  let old: TlsUpstream;
  let byName: TlsUpstream;
  let gw: GatewayProcess;
  let goodPin: string;
  let otherPin: string;

  before(async () => {
    ca = createTestCa('upstreams');
    otherCa = createTestCa('elsewhere');
    server = ca.issue('upstream', { san: 'IP:127.0.0.1,DNS:localhost', serverAuth: true });
    named = ca.issue('internal', { san: 'DNS:books.internal', serverAuth: true });
    client = ca.issue('gateway-client');
    const stranger = otherCa.issue('stranger', { san: 'IP:127.0.0.1', serverAuth: true });
    goodPin = spkiPin(new X509Certificate(readFileSync(server.cert)));
    otherPin = spkiPin(new X509Certificate(readFileSync(stranger.cert)));
    plain = await startTlsUpstream(server);
    mtls = await startTlsUpstream(server, { clientCa: ca.cert });
    old = await startTlsUpstream(server, { maxVersion: 'TLSv1.2' });
    byName = await startTlsUpstream(named);
    const caLine = `      ca: ${ca.cert}\n`;
    const apis = [
      apiYaml('trusted', plain.url, `    upstreamTls:\n${caLine}`),
      apiYaml('systemtrust', plain.url, ''),
      apiYaml('pinned', plain.url, `    upstreamTls:\n${caLine}      pins: [${goodPin}]\n`),
      apiYaml('rotating', plain.url, `    upstreamTls:\n${caLine}      pins: [${otherPin}, "${goodPin.replace('sha256/', 'sha256//')}"]\n`),
      apiYaml('wrongpin', plain.url, `    upstreamTls:\n${caLine}      pins: [${otherPin}]\n`),
      apiYaml('mtls', mtls.url, `    upstreamTls:\n${caLine}      cert: ${client.cert}\n      key: ${client.key}\n`),
      apiYaml('nocert', mtls.url, `    upstreamTls:\n${caLine}`),
      apiYaml('tls13', old.url, `    upstreamTls:\n${caLine}      minVersion: TLSv1.3\n`),
      apiYaml('tls12', old.url, `    upstreamTls:\n${caLine}`),
      apiYaml('sni', byName.url, `    upstreamTls:\n${caLine}      servername: books.internal\n`),
      apiYaml('nosni', byName.url, `    upstreamTls:\n${caLine}`),
    ];
    gw = await startGatewayProcess(writeConfig(`${E2E_PREAMBLE}apis:\n${apis.join('')}`).file);
  });
  after(async () => { await gw?.stop(); await Promise.all([plain, mtls, old, byName].map((u) => u?.close())); });

  test('a private CA given by upstreamTls.ca is trusted; without it the system store refuses the certificate', async () => {
    const ok = await fetch(`${gw.url}/trusted/a`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true });
    const before = plain.seen.length;
    const refused = await problem(`${gw.url}/systemtrust/a`);
    assert.deepEqual([refused.status, refused.code], [502, 'PCL_UPSTREAM_TLS_FAILED']);
    assert.equal(plain.seen.length, before, 'nothing was sent to an unverified upstream');
  });

  test('a matching SPKI pin lets requests through, and a pin list in rotation accepts either key', async () => {
    assert.equal((await fetch(`${gw.url}/pinned/a`)).status, 200);
    assert.equal((await fetch(`${gw.url}/rotating/a`)).status, 200);
  });

  test('attack: a certificate that verifies but matches no pin is refused with 502 and a high-severity event; the request never reaches it', async () => {
    const before = plain.seen.filter((s) => s.path === '/wrongpin/secret').length;
    const r = await problem(`${gw.url}/wrongpin/secret`);
    assert.deepEqual([r.status, r.code], [502, 'PCL_UPSTREAM_TLS_FAILED']);
    assert.equal(plain.seen.filter((s) => s.path === '/wrongpin/secret').length, before);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'upstream.error' && l.reqId === r.requestId);
    assert.equal(event.reason, 'tls_failed');
    assert.equal(event.severity, 'high');
    assert.equal(event.api, 'wrongpin');
    const log = await gw.waitForLog((l) => l.msg === 'upstream error' && l.reqId === r.requestId);
    assert.match(String(log.reason), /SPKI pin/);
  });

  test('the gateway presents its client certificate to an upstream that requires one (mTLS); without one the upstream refuses', async () => {
    const ok = await fetch(`${gw.url}/mtls/x`);
    assert.equal(ok.status, 200);
    assert.equal(mtls.seen.at(-1)?.clientCn, 'gateway-client');
    const refused = await problem(`${gw.url}/nocert/x`);
    assert.equal(refused.status, 502);
    assert.equal(mtls.seen.filter((s) => s.path === '/nocert/x').length, 0);
  });

  test('minVersion TLSv1.3 refuses an upstream that stops at TLS 1.2; the default (TLSv1.2) accepts it', async () => {
    assert.equal((await fetch(`${gw.url}/tls12/x`)).status, 200);
    const r = await problem(`${gw.url}/tls13/x`);
    assert.equal(r.status, 502);
    assert.equal(old.seen.filter((s) => s.path === '/tls13/x').length, 0);
  });

  test('servername sets SNI and the expected certificate name for an upstream addressed by IP', async () => {
    assert.equal((await fetch(`${gw.url}/sni/x`)).status, 200);
    const r = await problem(`${gw.url}/nosni/x`);
    assert.deepEqual([r.status, r.code], [502, 'PCL_UPSTREAM_TLS_FAILED']);
  });
});

describe('upstream TLS: config errors name the file, line and path', () => {
  test('upstreamTls on a plain-HTTP upstream, a missing CA file and a malformed pin are each reported', async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:\n`
      + apiYaml('plainhttp', 'http://127.0.0.1:1', '    upstreamTls:\n      minVersion: TLSv1.2\n')
      + apiYaml('missingca', 'https://127.0.0.1:1', '    upstreamTls:\n      ca: ./no-such-ca.pem\n')
      + apiYaml('badpin', 'https://127.0.0.1:1', '    upstreamTls:\n      pins: [sha256/tooshort]\n')
      + apiYaml('halfpair', 'https://127.0.0.1:1', '    upstreamTls:\n      cert: ./a.crt\n'));
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, /portcullis\.yaml:\d+ apis\[0\]\.upstreamTls: upstreamTls needs an https upstream/);
    assert.match(out, /portcullis\.yaml:\d+ apis\[1\]\.upstreamTls: .*no-such-ca\.pem/);
    assert.match(out, /portcullis\.yaml:\d+ apis\[2\]\.upstreamTls: invalid SPKI pin "sha256\/tooshort"/);
    assert.match(out, /portcullis\.yaml:\d+ apis\[3\]\.upstreamTls: cert and key must be given together/);
  });
});
