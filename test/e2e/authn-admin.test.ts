import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { URI, type TOTP } from 'otpauth';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const ADMIN_TOKEN = `authn-admin-token-${randomBytes(8).toString('hex')}`;
const JWT_SECRET = 'authn-admin-e2e-shared-secret-0123456789abcdef';
const PEPPER = 'authn-admin-pepper-0123456789-abcdefghijklmnop';
const ISS = 'https://idp.example';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const env = { PCL_ADMIN_TOKEN: ADMIN_TOKEN, PCL_JWT_SECRET: JWT_SECRET, PCL_PEPPER: PEPPER, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };

const OPENAPI = `openapi: 3.1.0
info: { title: authn admin, version: 1.0.0 }
servers: [{ url: /v1 }]
components:
  securitySchemes:
    bearerAuth: { type: http, scheme: bearer }
    apiKey: { type: apiKey, in: header, name: X-API-Key }
paths:
  /books:
    get:
      operationId: listBooks
      security: [{ bearerAuth: [] }, { apiKey: [] }]
      responses: { '200': { description: ok } }
  /transfers:
    post:
      operationId: transfer
      x-portcullis-step-up: true
      security: [{ bearerAuth: [] }]
      responses: { '200': { description: ok } }
`;

function config(up: string, store: string): string {
  return `server:
  port: 0
  host: 127.0.0.1
admin:
  port: 0
  token: \${PCL_ADMIN_TOKEN}
logging:
  level: info
watch: false
${store}
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
        stepUp:
          file: ./totp.yaml
          reloadCheckMs: 0
`;
}

const jwt = (claims: Record<string, unknown> = {}) => new SignJWT({ iss: ISS, aud: 'books', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300, ...claims })
  .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));

async function expectCode(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(((await res.json()) as { code: string }).code, code);
}

describe('portcullis revoke against running gateways sharing a Redis store', () => {
  let up: FakeUpstream;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let dir: string;
  const revoke = (...args: string[]) => runCli(['revoke', ...args, '--admin', a.adminUrl], env);

  before(async () => {
    up = await startUpstream();
    // Two instances, one store: what one revokes, the other refuses.
    const store = `store:\n  backend: redis\n  redisUrl: ${REDIS_URL}\n  keyPrefix: "pcl-authn-${randomBytes(6).toString('hex')}:"\n`;
    const cfg = writeConfig(config(up.url, store), { 'openapi.yaml': OPENAPI, 'keys.yaml': 'keys: []\n', 'totp.yaml': 'secrets: {}\n' });
    dir = cfg.dir;
    a = await startGatewayProcess(cfg.file, { env });
    b = await startGatewayProcess(cfg.file, { env });
  });
  after(async () => { await a.stop(); await b.stop(); await up.close(); });

  test('revoke jti: the other instance refuses the token (401), list shows it, lift restores access', async () => {
    const jti = `cli-${randomBytes(6).toString('hex')}`;
    const token = await jwt({ jti });
    const get = () => fetch(`${b.url}/v1/books`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get()).status, 200);
    const r = await revoke('jti', jti, '--ttl', '1h');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`revoked jti ${jti} until \\d{4}-`));
    await expectCode(await get(), 401, 'PCL_AUTHN_INVALID');
    const listed = await revoke('list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const entries = JSON.parse(listed.stdout) as { kind: string; value: string; expiresAt?: string }[];
    assert.ok(entries.some((e) => e.kind === 'jti' && e.value === jti && e.expiresAt !== undefined), listed.stdout);
    const lifted = await revoke('lift', 'jti', jti);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.match(lifted.stderr, /lifted the revocation/);
    assert.equal((await get()).status, 200);
    assert.ok(!(JSON.parse((await revoke('list', '--json')).stdout) as { value: string }[]).some((e) => e.value === jti), 'a lifted revocation is not listed');
  });

  test('revoke subject (with its issuer): every token of that subject is 401, other subjects pass', async () => {
    const sub = `user-${randomBytes(4).toString('hex')}`;
    const r = await revoke('subject', sub, '--issuer', ISS);
    assert.equal(r.code, 0, r.stderr);
    await expectCode(await fetch(`${b.url}/v1/books`, { headers: { authorization: `Bearer ${await jwt({ sub })}` } }), 401, 'PCL_AUTHN_INVALID');
    assert.equal((await fetch(`${b.url}/v1/books`, { headers: { authorization: `Bearer ${await jwt({ sub: 'someone-else' })}` } })).status, 200);
    assert.equal((await revoke('lift', 'subject', sub, '--issuer', ISS)).code, 0);
    assert.equal((await fetch(`${b.url}/v1/books`, { headers: { authorization: `Bearer ${await jwt({ sub })}` } })).status, 200);
  });

  test('revoke api-key by id: the key is 401 on both instances and listed until lifted', async () => {
    const created = await runCli(['keys', 'create', '--client', 'reports', '--file', join(dir, 'keys.yaml'), '--pepper-env', 'PCL_PEPPER'], env);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    const id = key.split('_')[1]!;
    assert.equal((await fetch(`${a.url}/v1/books`, { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await revoke('api-key', id)).code, 0);
    for (const gw of [a, b]) await expectCode(await fetch(`${gw.url}/v1/books`, { headers: { 'x-api-key': key } }), 401, 'PCL_AUTHN_INVALID');
    const text = await revoke('list');
    assert.match(text.stdout, new RegExp(`^api-key\\t${id}\\t-\\t\\S+\\tuntil lifted$`, 'm'));
  });

  test('a wrong admin token or bad arguments fail with exit 1 and say why', async () => {
    const wrong = await runCli(['revoke', 'jti', 'x', '--admin', a.adminUrl], { ...env, PORTCULLIS_ADMIN_TOKEN: 'not-the-token' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /answered 401 PCL_AUTHN_INVALID/);
    assert.equal((await revoke('subject', 'no-issuer')).code, 1, 'subject needs --issuer');
    assert.equal((await revoke('jti', 'x', '--issuer', ISS)).code, 1, '--issuer only with subject');
    const down = await runCli(['revoke', 'list', '--admin', 'http://127.0.0.1:9'], env);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the admin API/);
  });

  test('TOTP enrolment through the admin API: URI once, step-up works, re-enrol 409, delete, then 401', async () => {
    const principal = `bob-${randomBytes(3).toString('hex')}`;
    const admin = (method: string, path: string, token = ADMIN_TOKEN) => fetch(`${a.adminUrl}/admin/totp/${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const enrolled = await admin('POST', `${principal}?issuer=Bookstore`);
    assert.equal(enrolled.status, 201);
    assert.equal(enrolled.headers.get('cache-control'), 'no-store');
    const { uri } = await enrolled.json() as { uri: string };
    assert.match(uri, new RegExp(`^otpauth://totp/Bookstore:${principal}\\?`));
    const totp = URI.parse(uri) as TOTP;
    const code = totp.generate();
    const transfer = async (otp?: string) => fetch(`${b.url}/v1/transfers`, { method: 'POST', headers: { authorization: `Bearer ${await jwt({ sub: principal })}`, ...(otp === undefined ? {} : { 'x-portcullis-otp': otp }) } });
    assert.equal((await transfer(code)).status, 200, 'the other instance reads the same secrets file');
    await expectCode(await admin('POST', principal), 409, 'PCL_ADMIN_CONFLICT');
    await expectCode(await admin('POST', `${principal}`, 'wrong-token'), 401, 'PCL_AUTHN_INVALID');
    await expectCode(await admin('POST', '%ZZ'), 400, 'PCL_BAD_REQUEST');
    await expectCode(await admin('POST', `${principal}?api=nope`), 404, 'PCL_ADMIN_NOT_FOUND');
    assert.equal((await admin('DELETE', principal)).status, 200);
    await expectCode(await transfer(totp.generate({ timestamp: Date.now() + 30_000 })), 401, 'PCL_AUTHN_STEP_UP_REQUIRED');
    await expectCode(await admin('DELETE', principal), 404, 'PCL_ADMIN_NOT_FOUND');
    let deletes = 0;
    await a.waitForLog((l) => l.msg === 'admin action' && l.action === 'totp.delete' && ++deletes === 2);
    const actions = a.logs.filter((l) => l.msg === 'admin action' && String(l.action).startsWith('totp.')).map((l) => `${String(l.action)}:${String(l.ok)}`);
    assert.deepEqual(actions, ['totp.enrol:true', 'totp.enrol:true', 'totp.enrol:false', 'totp.enrol:true', 'totp.enrol:true', 'totp.delete:true', 'totp.delete:true']);
  });
});

describe('OpenAPI security scheme type vs configured verifier kind', () => {
  test('an apiKey scheme mapped to a JWT verifier is a config error naming the scheme and its place', async () => {
    const { file } = writeConfig(`${config('http://127.0.0.1:9', '')}`.replace('kind: api-key\n            file: ./keys.yaml\n            pepper: ${PCL_PEPPER}\n            reloadCheckMs: 0', `kind: jwt\n            issuers:\n              - { issuer: ${ISS}, audiences: [books], algorithms: [HS256], secret: "\${PCL_JWT_SECRET}" }`),
      { 'openapi.yaml': OPENAPI, 'totp.yaml': 'secrets: {}\n' });
    const r = await runCli(['validate', '-c', file], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ .*schemes\.apiKey\.kind: the OpenAPI security scheme has type apiKey, but kind jwt serves http \(scheme bearer\), oauth2 or openIdConnect/);
  });
});
