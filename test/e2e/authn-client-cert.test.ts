import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { tlsConfig } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { httpsRequest, type HttpsOutcome } from '../helpers/tls-client.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { createTestCa, pem, type IssuedCert, type TestCa } from '../fixtures/authn-keys/pki.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const JWT_SECRET = 'authn-client-cert-e2e-secret-0123456789abcdef';
const ISS = 'https://idp.example';
const env = { PCL_JWT_SECRET: JWT_SECRET };

const OPENAPI = bearerOpenApi('client certs', `  /books:
    get: { operationId: listBooks, responses: { '200': { description: ok } } }
  /reports:
    get: { operationId: listReports, responses: { '200': { description: ok } } }
  /status:
    get: { operationId: status, security: [], responses: { '200': { description: ok } } }
`);

const apis = (up: string) => `apis:
  - name: books
    upstream: ${up}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers: [{ issuer: "${ISS}", audiences: [books], algorithms: [HS256], secret: "\${PCL_JWT_SECRET}" }]
    operations:
      listReports: { stages: { authn: { requireClientCertificate: true } } }
      status: { stages: { authn: { requireClientCertificate: true } } }
`;

const token = () => new SignJWT({ iss: ISS, aud: 'books', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 })
  .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));

function expectProblem(r: HttpsOutcome, status: number, code: string, challenge: RegExp): void {
  assert.ok(r.status !== undefined, `expected a response, got ${r.status === undefined ? r.error.code : ''}`);
  assert.equal(r.status, status, r.body);
  assert.equal((JSON.parse(r.body) as { code: string }).code, code);
  assert.match(String(r.headers['www-authenticate']), challenge);
}

describe('client certificates required per listener and per operation', () => {
  let up: FakeUpstream;
  let requiring: GatewayProcess;
  let requesting: GatewayProcess;
  let serverCa: TestCa;
  const certs: Record<string, IssuedCert> = {};

  before(async () => {
    up = await startUpstream();
    const ca = createTestCa('clients');
    serverCa = createTestCa('servers', `${ca.dir}/..`);
    const rogue = createTestCa('rogue', `${ca.dir}/..`);
    const server = serverCa.issue('gateway', { san: 'IP:127.0.0.1,DNS:localhost', serverAuth: true });
    certs.good = ca.issue('client-good');
    certs.rogue = rogue.issue('client-rogue');
    const files = { 'openapi.yaml': OPENAPI };
    const common = { cert: server.cert, key: server.key, clientCa: ca.cert };
    [requiring, requesting] = await Promise.all([
      startGatewayProcess(writeConfig(`${tlsConfig({ ...common, clientCertificate: 'require' })}${apis(up.url)}`, files).file, { env }),
      startGatewayProcess(writeConfig(`${tlsConfig(common)}${apis(up.url)}`, files).file, { env }),
    ]);
  });
  after(async () => { await requiring.stop(); await requesting.stop(); await up.close(); });

  const call = async (gw: GatewayProcess, path: string, opts: { client?: IssuedCert; bearer?: boolean } = {}) => httpsRequest(`${gw.httpsUrl!}/v1${path}`, {
    ca: pem(serverCa.cert),
    ...(opts.client === undefined ? {} : { cert: pem(opts.client.cert), key: pem(opts.client.key) }),
    headers: opts.bearer === false ? {} : { authorization: `Bearer ${await token()}` },
  });

  test('listener `require`: no certificate fails the TLS handshake (certificate required alert); nothing reaches HTTP', async () => {
    const before = up.seen.length;
    const r = await call(requiring, '/books');
    assert.equal(r.status, undefined);
    assert.equal(r.status === undefined && r.error.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(up.seen.length, before);
  });

  test('listener `require`: a certificate from another CA fails the handshake (unknown CA alert)', async () => {
    const before = up.seen.length;
    const r = await call(requiring, '/books', { client: certs.rogue });
    assert.equal(r.status, undefined);
    // OpenSSL sends the alert and closes; whether the client reads the alert or the reset first is a race.
    assert.ok(r.status === undefined && ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ECONNRESET'].includes(r.error.code ?? ''), r.status === undefined ? r.error.code : '');
    assert.equal(up.seen.length, before);
  });

  test('listener `require`: a certificate from the client CA gets through to the normal authn', async () => {
    assert.equal((await call(requiring, '/books', { client: certs.good })).status, 200);
    expectProblem(await call(requiring, '/books', { client: certs.good, bearer: false }), 401, 'PCL_AUTHN_REQUIRED', /^Bearer realm="books"$/);
  });

  test('listener `request` + operation requirement: no certificate is 401 PCL_AUTHN_REQUIRED with a Mutual challenge, even with a valid token', async () => {
    const before = up.seen.length;
    expectProblem(await call(requesting, '/reports'), 401, 'PCL_AUTHN_REQUIRED', /^Mutual realm="books"$/);
    expectProblem(await call(requesting, '/status', { bearer: false }), 401, 'PCL_AUTHN_REQUIRED', /^Mutual realm="books"$/);
    assert.equal(up.seen.length, before);
  });

  test('operation requirement: an unverified certificate is 401 PCL_AUTHN_INVALID', async () => {
    expectProblem(await call(requesting, '/reports', { client: certs.rogue }), 401, 'PCL_AUTHN_INVALID', /^Mutual realm="books"$/);
  });

  test('operation requirement: a verified certificate plus the operation\'s own security passes; other operations need no certificate', async () => {
    assert.equal((await call(requesting, '/reports', { client: certs.good })).status, 200);
    expectProblem(await call(requesting, '/reports', { client: certs.good, bearer: false }), 401, 'PCL_AUTHN_REQUIRED', /^Bearer/);
    assert.equal((await call(requesting, '/status', { client: certs.good, bearer: false })).status, 200, 'a public operation with the requirement needs the certificate only');
    assert.equal((await call(requesting, '/books')).status, 200);
  });
});
