import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { ServerSchema, type ServerConfig, type TlsConfig } from '../../../../config/schema.js';
import { listenHttps, type Listener } from '../../../../server/listeners.js';
import { createTestCa, pem, type IssuedCert, type TestCa } from '../../../../../test/fixtures/authn-keys/pki.js';
import { makeCtx, makeDeps } from '../../../../../test/fixtures/authn-keys/context.js';
import { createMtlsProvider } from './provider.js';
import { peerCertificateOf, parseSubjectAltName } from './peer-certificate.js';
import type { MtlsProviderConfig } from './schema.js';
import type { VerifyResult } from '../../provider.js';

let ca: TestCa;
let serverCa: TestCa;
let rogue: TestCa;
let listener: Listener;
let crlFile: string;
const certs: Record<string, IssuedCert> = {};
let reloaded: () => void = () => {};

const config: MtlsProviderConfig = {
  kind: 'mtls', identity: ['san-uri', 'subject-cn'], requireRule: false, realm: 'portcullis',
  rules: [{ field: 'san-uri', value: 'spiffe://example.org/billing/*', scopes: ['invoices:read'], roles: ['service'] }],
};

before(() => {
  ca = createTestCa('clients');
  serverCa = createTestCa('servers', ca.dir + '/..');
  rogue = createTestCa('rogue', ca.dir + '/..');
  const server = serverCa.issue('gateway', { san: 'IP:127.0.0.1', serverAuth: true });
  certs.alice = ca.issue('alice', { san: 'URI:spiffe://example.org/billing/alice' });
  certs.bob = ca.issue('bob');
  certs.revoked = ca.issue('revoked');
  certs.later = ca.issue('later');
  certs.expired = ca.issue('expired', { startDate: '20200101000000Z', endDate: '20200102000000Z' });
  certs.rogue = rogue.issue('alice', { san: 'URI:spiffe://example.org/billing/alice' });
  ca.revoke(certs.revoked!);
  crlFile = join(ca.dir, 'live.crl');
  copyFileSync(ca.crl(), crlFile);
  const cfg = Value.Default(ServerSchema, {}) as ServerConfig;
  const tls = { port: 0, host: '127.0.0.1', cert: server.cert, key: server.key, minVersion: 'TLSv1.2', ciphers: (Value.Default(ServerSchema, { tls: { cert: 'x', key: 'y' } }) as ServerConfig).tls!.ciphers, clientCa: ca.cert, crl: [crlFile], clientCertificate: 'request' } satisfies TlsConfig;
  const provider = createMtlsProvider('clientCert', config, makeDeps('/'));
  return listenHttps(cfg, tls, (req, res) => {
    const certificate = peerCertificateOf(req.socket);
    const ctx = makeCtx({ client: certificate !== undefined ? { tls: true, certificate } : { tls: true } });
    const r = provider.verify(ctx) as VerifyResult;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(r));
  }, (err) => { throw err; }, () => reloaded()).then((l) => { listener = l; });
});

after(() => listener.close(100));

function call(client?: IssuedCert): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${listener.url}/`, {
      ca: pem(serverCa.cert), agent: false,
      ...(client !== undefined ? { cert: pem(client.cert), key: pem(client.key) } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(JSON.parse(body) as VerifyResult));
    });
    req.on('error', reject);
    req.end();
  });
}
const reason = (r: VerifyResult) => (r.kind === 'failed' ? r.reason : r.kind);

test('a certificate from the client CA maps to a principal by SAN URI, with rule scopes', async () => {
  const r = await call(certs.alice);
  assert.ok(r.kind === 'ok', JSON.stringify(r));
  assert.equal(r.principal.id, 'spiffe://example.org/billing/alice');
  assert.equal(r.principal.kind, 'mtls');
  assert.equal(r.principal.issuer, 'clients CA');
  assert.deepEqual(r.principal.scopes, ['invoices:read']);
  assert.deepEqual(r.principal.roles, ['service']);
  assert.match(String(r.principal.claims['x5t#S256']), /^[A-Za-z0-9_-]{43}$/);
});

test('without SAN URI the subject CN names the principal; no rule, no scopes', async () => {
  const r = await call(certs.bob);
  assert.ok(r.kind === 'ok');
  assert.equal(r.principal.id, 'bob');
  assert.deepEqual(r.principal.scopes, []);
});

test('no certificate is absent: the handshake still succeeds', async () => {
  assert.deepEqual(await call(), { kind: 'absent' });
});

test('attack: a certificate from an untrusted CA (same names) fails', async () => {
  assert.equal(reason(await call(certs.rogue)), 'cert_untrusted');
});

test('attack: a revoked certificate fails; an expired one fails', async () => {
  assert.equal(reason(await call(certs.revoked)), 'cert_revoked');
  assert.equal(reason(await call(certs.expired)), 'cert_expired');
});

test('the CRL is reloaded when it changes, without restart', async () => {
  assert.equal((await call(certs.later)).kind, 'ok');
  ca.revoke(certs.later!);
  const done = new Promise<void>((r) => { reloaded = r; });
  copyFileSync(ca.crl(), crlFile);
  await done;
  assert.equal(reason(await call(certs.later)), 'cert_revoked');
});

test('requireRule refuses a verified certificate that no rule admits', () => {
  const strict = createMtlsProvider('c', { ...config, requireRule: true }, makeDeps('/'));
  const cert = { authorized: true, authorizationError: undefined, subject: { CN: ['bob'] }, issuer: {}, san: [], thumbprint: 't', serialNumber: '1', validFrom: 0, validTo: Date.now() + 1e6, raw: Buffer.alloc(0) };
  assert.equal(reason(strict.verify(makeCtx({ client: { certificate: cert } })) as VerifyResult), 'no_matching_rule');
  const two = { ...cert, subject: { CN: ['bob', 'admin'] } };
  assert.equal(reason(createMtlsProvider('c', { ...config, identity: ['subject-cn'] }, makeDeps('/')).verify(makeCtx({ client: { certificate: two } })) as VerifyResult), 'ambiguous_identity');
});

test('subjectAltName parsing keeps quoted values whole', () => {
  assert.deepEqual(parseSubjectAltName('DNS:a.example, URI:spiffe://x/y'), ['DNS:a.example', 'URI:spiffe://x/y']);
  assert.deepEqual(parseSubjectAltName('DNS:"evil, URI:spiffe://admin", DNS:b'), ['DNS:evil, URI:spiffe://admin', 'DNS:b']);
});
