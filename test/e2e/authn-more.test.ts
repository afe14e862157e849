import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { tlsConfig } from '../helpers/config.js';
import { httpsRequest } from '../helpers/tls-client.js';
import { makeCtx } from '../fixtures/authn-keys/context.js';
import { createTestCa, pem, type IssuedCert, type TestCa } from '../fixtures/authn-keys/pki.js';
import { signRequest } from '../fixtures/authn-keys/sign.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const ADMIN_TOKEN = 'authn-more-admin-token-0123456789';
const JWT_SECRET = 'authn-more-e2e-shared-secret-0123456789abcdef';
const PEPPER = 'authn-more-pepper-0123456789-abcdefghijklmnop';
const SIG_SECRET = randomBytes(32);
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DQ';
const ISS = 'https://idp.example';
const env = { PCL_ADMIN_TOKEN: ADMIN_TOKEN, PCL_JWT_SECRET: JWT_SECRET, PCL_PEPPER: PEPPER, PCL_SIG_SECRET: SIG_SECRET.toString('base64') };

const OPENAPI = `openapi: 3.1.0
info: { title: more authn, version: 1.0.0 }
servers:
  - url: /v1
components:
  securitySchemes:
    bearerAuth: { type: http, scheme: bearer }
    apiKey: { type: apiKey, in: header, name: X-API-Key }
    signed: { type: http, scheme: signature }
paths:
  /books:
    get:
      operationId: listBooks
      security: [{ bearerAuth: [] }, { apiKey: [] }]
      responses: { '200': { description: ok } }
  /orders:
    post:
      operationId: createOrder
      security: [{ signed: [] }]
      responses: { '200': { description: ok } }
  /transfers:
    post:
      operationId: transfer
      x-portcullis-step-up: true
      security: [{ bearerAuth: [] }]
      responses: { '200': { description: ok } }
`;

function config(up: string): { dir: string; file: string } {
  return writeConfig(`server:
  port: 0
  host: 127.0.0.1
admin:
  port: 0
  token: \${PCL_ADMIN_TOKEN}
logging:
  level: info
watch: false
apis:
  - name: books
    upstream: ${up}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers:
              - issuer: ${ISS}
                audiences: [books]
                algorithms: [HS256]
                secret: \${PCL_JWT_SECRET}
          apiKey:
            kind: api-key
            file: ./keys.yaml
            pepper: \${PCL_PEPPER}
            reloadCheckMs: 0
          signed:
            kind: http-signature
            requireNonce: true
            keys:
              - keyid: billing-key
                alg: hmac-sha256
                secret: \${PCL_SIG_SECRET}
                clientId: billing
        stepUp:
          file: ./totp.yaml
`, { 'openapi.yaml': OPENAPI, 'keys.yaml': 'keys: []\n', 'totp.yaml': `secrets:\n  alice:\n    secret: ${TOTP_SECRET}\n` });
}

const jwt = (claims: Record<string, unknown> = {}) => new SignJWT({ iss: ISS, aud: 'books', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300, ...claims })
  .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));

async function expectCode(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(((await res.json()) as { code: string }).code, code);
}

describe('authn end to end: signatures, step-up, revocation, security events', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let dir: string;

  before(async () => {
    up = await startUpstream();
    const cfg = config(up.url);
    dir = cfg.dir;
    gw = await startGatewayProcess(cfg.file, { env });
  });
  after(async () => { await gw.stop(); await up.close(); });

  describe('HTTP message signatures (RFC 9421)', () => {
    const host = () => new URL(gw.url).host;
    /** Signs `signedBody`'s digest and sends `sentBody`; `created` in seconds. */
    const post = (opts: { signedBody: string; sentBody?: string; created?: number; nonce?: string }) => {
      const digest = `sha-256=:${createHash('sha256').update(opts.signedBody).digest('base64')}:`;
      const ctx = makeCtx({ method: 'POST', path: '/v1/orders', headers: { 'content-digest': digest }, client: { host: host() } });
      const sig = signRequest(ctx, ['@method', '@authority', '@path', 'content-digest'], {
        created: opts.created ?? Math.floor(Date.now() / 1000), keyid: 'billing-key', nonce: opts.nonce ?? randomBytes(16).toString('hex'),
      }, { alg: 'hmac-sha256', secret: SIG_SECRET });
      return fetch(`${gw.url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-digest': digest, ...sig }, body: opts.sentBody ?? opts.signedBody });
    };

    test('a signed request reaches the upstream with its body and the signer as principal', async () => {
      const before = up.seen.length;
      const res = await post({ signedBody: '{"amount":1}' });
      assert.equal(res.status, 200, await res.clone().text());
      const seen = up.seen[before]!;
      assert.equal(seen.body.toString(), '{"amount":1}');
      assert.equal(seen.headers['x-portcullis-subject'], 'billing');
      assert.equal(seen.headers['x-portcullis-auth-kind'], 'http-signature');
    });

    test('attack: a tampered body is 401 and never reaches the upstream', async () => {
      const before = up.seen.length;
      const res = await post({ signedBody: '{"amount":1}', sentBody: '{"amount":9}' });
      await expectCode(res, 401, 'PCL_AUTHN_INVALID');
      assert.equal(up.seen.length, before);
    });

    test('attack: a replayed nonce is 401', async () => {
      const nonce = randomBytes(16).toString('hex');
      assert.equal((await post({ signedBody: '{"n":1}', nonce })).status, 200);
      await expectCode(await post({ signedBody: '{"n":1}', nonce }), 401, 'PCL_AUTHN_INVALID');
    });

    test('attack: a stale `created` is 401', async () => {
      await expectCode(await post({ signedBody: '{"old":1}', created: Math.floor(Date.now() / 1000) - 3600 }), 401, 'PCL_AUTHN_INVALID');
    });
  });

  describe('TOTP step-up', () => {
    const totp = new TOTP({ secret: Secret.fromBase32(TOTP_SECRET) });
    const transfer = async (otp?: string) => fetch(`${gw.url}/v1/transfers`, {
      method: 'POST', headers: { authorization: `Bearer ${await jwt()}`, ...(otp === undefined ? {} : { 'x-portcullis-otp': otp }) },
    });

    test('no code: 401 PCL_AUTHN_STEP_UP_REQUIRED with the OTP challenge; the right code: 200; the same code again: 401', async () => {
      const none = await transfer();
      assert.equal(none.headers.get('www-authenticate'), 'OTP realm="books", header="X-Portcullis-OTP", error="step_up_required"');
      await expectCode(none, 401, 'PCL_AUTHN_STEP_UP_REQUIRED');
      const code = totp.generate();
      assert.equal((await transfer(code)).status, 200);
      await expectCode(await transfer(code), 401, 'PCL_AUTHN_STEP_UP_REQUIRED');
    });

    test('a TOTP secrets file that stops parsing keeps the old secrets and is reported: error line naming the file, admin status (issue 12, item 6)', async () => {
      const file = join(dir, 'totp.yaml');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, 'secrets: [ {{{ TOTP-SECRET-MATERIAL');
      try {
        // reloadCheckMs defaults to 1 s. The next step's code (window 1): the current one may be spent already.
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal((await transfer(totp.generate({ timestamp: Date.now() + 30_000 }))).status, 200, 'the old secrets keep serving');
        const line = await gw.waitForLog((l) => l.event === 'key.file_failed');
        assert.equal(line.level, 'error');
        assert.equal(line.reason, 'invalid');
        assert.equal(line.excerpt, file);
        const status = await (await fetch(`${gw.adminUrl}/admin/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as { credentialFiles: { file: string; reason: string }[] };
        assert.deepEqual(status.credentialFiles.map((f) => [f.file, f.reason]), [[file, 'invalid']]);
        assert.doesNotMatch(JSON.stringify(gw.logs), /TOTP-SECRET-MATERIAL/);
      } finally {
        writeFileSync(file, text);
      }
    });

    test('operations without x-portcullis-step-up need no code', async () => {
      assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${await jwt()}` } })).status, 200);
    });
  });

  describe('revocation through the admin API', () => {
    const admin = (method: string, body: unknown) => fetch(`${gw.adminUrl}/admin/revocations`, {
      method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });

    test('revoking a token\'s jti makes its next request 401; lifting it restores access', async () => {
      const token = await jwt({ jti: `e2e-${randomBytes(6).toString('hex')}` });
      const get = () => fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get()).status, 200);
      const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
      assert.equal((await admin('POST', { kind: 'jti', value: jti, ttlSeconds: 600 })).status, 201);
      await expectCode(await get(), 401, 'PCL_AUTHN_INVALID');
      assert.equal((await admin('DELETE', { kind: 'jti', value: jti })).status, 200);
      assert.equal((await get()).status, 200);
    });

    test('revoking an API key id makes the key 401', async () => {
      const r = await runCli(['keys', 'create', '--client', 'reports', '--file', join(dir, 'keys.yaml'), '--pepper-env', 'PCL_PEPPER'], env);
      assert.equal(r.code, 0, r.stderr);
      const key = r.stdout.trim();
      const get = () => fetch(`${gw.url}/v1/books`, { headers: { 'x-api-key': key } });
      assert.equal((await get()).status, 200);
      assert.equal((await admin('POST', { kind: 'api-key', value: key.split('_')[1] })).status, 201);
      await expectCode(await get(), 401, 'PCL_AUTHN_INVALID');
    });

    test('a malformed revocation is 400 PCL_BAD_REQUEST', async () => {
      await expectCode(await admin('POST', { kind: 'jti', value: 'x', when: 'now' }), 400, 'PCL_BAD_REQUEST');
    });
  });

  describe('security events', () => {
    test('failures are logged at warn with their reason and counted in /metrics with bounded labels', async () => {
      const line = await gw.waitForLog((l) => l.msg === 'security event' && l.reason === 'replayed');
      assert.equal(line.level, 'warn');
      assert.equal(line.event, 'authn.failure');
      assert.equal(line.scheme, 'signed');
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      assert.match(metrics, /^portcullis_security_events_total\{kind="authn\.failure",reason="replayed"\} [1-9]/m);
      assert.match(metrics, /^portcullis_security_events_total\{kind="authn\.failure",reason="digest_mismatch"\} [1-9]/m);
      assert.match(metrics, /^portcullis_security_events_total\{kind="authn\.failure",reason="otp_reused"\} [1-9]/m);
      assert.match(metrics, /^portcullis_security_events_total\{kind="authn\.success",reason="jwt"\} [1-9]/m);
    });
  });
});

describe('certificate-bound tokens (RFC 8705) over a real mTLS listener', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let serverCa: TestCa;
  const certs: Record<string, IssuedCert> = {};
  const thumbprint = (c: IssuedCert) => createHash('sha256').update(new X509Certificate(pem(c.cert)).raw).digest('base64url');

  before(async () => {
    up = await startUpstream();
    const ca = createTestCa('clients');
    serverCa = createTestCa('servers', `${ca.dir}/..`);
    const server = serverCa.issue('gateway', { san: 'IP:127.0.0.1,DNS:localhost', serverAuth: true });
    certs.a = ca.issue('client-a');
    certs.b = ca.issue('client-b');
    const cfg = writeConfig(`${tlsConfig({ cert: server.cert, key: server.key, clientCa: ca.cert })}apis:
  - name: books
    upstream: ${up.url}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers:
              - issuer: ${ISS}
                audiences: [books]
                algorithms: [HS256]
                secret: \${PCL_JWT_SECRET}
`, { 'openapi.yaml': bearerOpenApi('bound', `  /books:
    get: { operationId: listBooks, responses: { '200': { description: ok } } }
`) });
    gw = await startGatewayProcess(cfg.file, { env });
  });
  after(async () => { await gw.stop(); await up.close(); });

  const get = async (token: string, client?: IssuedCert): Promise<number> => {
    const r = await httpsRequest(`${gw.httpsUrl!}/v1/books`, { ca: pem(serverCa.cert), headers: { authorization: `Bearer ${token}` }, ...(client === undefined ? {} : { cert: pem(client.cert), key: pem(client.key) }) });
    if (r.status === undefined) throw r.error;
    return r.status;
  };

  test('a token bound to certificate A works with A only; 401 with B or without a certificate', async () => {
    const bound = await jwt({ cnf: { 'x5t#S256': thumbprint(certs.a!) } });
    assert.equal(await get(bound, certs.a), 200);
    assert.equal(await get(bound, certs.b), 401);
    assert.equal(await get(bound), 401);
    assert.equal(await get(await jwt(), certs.b), 200, 'an unbound token is not affected');
  });
});
