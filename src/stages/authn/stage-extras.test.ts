import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { compileSchema } from '../../config/ajv.js';
import type { OperationInfo } from '../../openapi/types.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision, StageDeps } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/index.js';
import { makeCtx } from '../../../test/fixtures/authn-keys/context.js';
import { signRequest } from '../../../test/fixtures/authn-keys/sign.js';
import { writeSecretsFile } from './providers/totp/index.js';
import { AuthnSchema, type AuthnConfig } from './schema.js';
import { createAuthnStage } from './stage.js';

const store = new MemoryStore({ maxKeys: 1000 });
after(() => store.close());
const SECRET = randomBytes(32);
const JWT_SECRET = 'stage-extras-shared-secret-of-at-least-32-bytes';
const ISS = 'https://issuer.example';

function config(raw: Record<string, unknown>): AuthnConfig {
  const value = structuredClone(raw);
  const validate = compileSchema(AuthnSchema);
  assert.ok(validate(value), JSON.stringify(validate.errors));
  return value as unknown as AuthnConfig;
}

function deps(security: unknown[], extensions: Record<string, unknown> = {}, baseDir = tmpdir()): StageDeps {
  const operation = { method: 'POST', pathTemplate: '/books', operationId: 'addBook', tags: [], parameters: [], responses: {}, pointer: '#', extensions, security } as OperationInfo;
  return { apiName: 'books', operationId: 'addBook', baseDir, store, operation };
}

const code = (d: Decision) => (d.kind === 'reject' ? d.error.code : d.kind);

describe('authn stage hosting HTTP message signatures', () => {
  const cfg = config({ schemes: { signed: { kind: 'http-signature', requireNonce: true, keys: [{ keyid: 'k1', alg: 'hmac-sha256', secret: SECRET.toString('base64'), clientId: 'billing' }] } } });
  const stage = createAuthnStage(cfg, deps([{ signed: [] }]));

  const signed = (body: string, sentBody = body): RequestContext => {
    const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(sentBody)), 'content-digest': digest };
    const c = makeCtx({ method: 'POST', path: '/books', headers, body: Buffer.from(sentBody) });
    const sig = signRequest(c, ['@method', '@authority', '@path', 'content-digest'], { created: Math.floor(Date.now() / 1000), keyid: 'k1', nonce: randomBytes(12).toString('hex') }, { alg: 'hmac-sha256', secret: SECRET });
    Object.assign(c.headers, sig);
    return c;
  };

  test('declares that it reads the body and verifies it in inspect', async () => {
    assert.equal(stage.needsRequestBody, true);
    const c = signed('{"title":"x"}');
    assert.equal(code(await stage.handlers.authenticate!(c)), 'continue');
    assert.equal(c.principal?.id, 'billing');
    assert.equal(code(await stage.handlers.inspect!(c)), 'continue');
  });

  test('attack: a body that does not match the signed content-digest is 401 in inspect', async () => {
    const c = signed('{"amount":1}', '{"amount":1000}');
    assert.equal(code(await stage.handlers.authenticate!(c)), 'continue');
    const d = await stage.handlers.inspect!(c);
    assert.equal(code(d), 'PCL_AUTHN_INVALID');
    assert.ok(d.kind === 'reject');
    assert.equal(d.error.status, 401);
    assert.match(d.error.headers['www-authenticate'] ?? '', /^Signature realm="books"/);
    assert.equal(c.principal, undefined);
  });

  test('a stage without body-bound schemes does not ask for the body', () => {
    const plain = createAuthnStage(config({ schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['books'], secret: JWT_SECRET, algorithms: ['HS256'] }] } } }), deps([{ bearerAuth: [] }]));
    assert.equal(plain.needsRequestBody, undefined);
    assert.equal(plain.handlers.inspect, undefined);
  });
});

describe('authn stage with TOTP step-up', () => {
  const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DQ';
  const dir = mkdtempSync(join(tmpdir(), 'pcl-stepup-'));
  writeSecretsFile(join(dir, 'totp.yaml'), { secrets: { alice: { secret: TOTP_SECRET } } });
  const base = {
    schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['books'], secret: JWT_SECRET, algorithms: ['HS256'] }] } },
    stepUp: { file: 'totp.yaml', reloadCheckMs: 0 },
  };
  const totp = new TOTP({ secret: Secret.fromBase32(TOTP_SECRET) });
  const token = (sub = 'alice') => new SignJWT({ iss: ISS, aud: 'books', sub, exp: Math.floor(Date.now() / 1000) + 300 })
    .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));
  const req = async (otp?: string, sub?: string) => makeCtx({ headers: { authorization: `Bearer ${await token(sub)}`, ...(otp === undefined ? {} : { 'x-portcullis-otp': otp }) } });

  test('x-portcullis-step-up: no code → 401 PCL_AUTHN_STEP_UP_REQUIRED with the OTP challenge; a right code passes once', async () => {
    const stage = createAuthnStage(config(base), deps([{ bearerAuth: [] }], { 'x-portcullis-step-up': true }, dir));
    const none = await stage.handlers.authenticate!(await req());
    assert.ok(none.kind === 'reject');
    assert.equal(none.error.code, 'PCL_AUTHN_STEP_UP_REQUIRED');
    assert.equal(none.error.status, 401);
    assert.equal(none.error.headers['www-authenticate'], 'OTP realm="books", header="X-Portcullis-OTP", error="step_up_required"');
    const otp = totp.generate();
    const c = await req(otp);
    assert.equal(code(await stage.handlers.authenticate!(c)), 'continue');
    assert.equal(c.principal?.claims.stepUp, 'totp');
    const again = await req(otp);
    assert.equal(code(await stage.handlers.authenticate!(again)), 'PCL_AUTHN_STEP_UP_REQUIRED');
    assert.equal(again.principal, undefined);
  });

  test('attack: a principal that is not enrolled cannot step up with someone else\'s code', async () => {
    const stage = createAuthnStage(config(base), deps([{ bearerAuth: [] }], { 'x-portcullis-step-up': true }, dir));
    assert.equal(code(await stage.handlers.authenticate!(await req(totp.generate(), 'mallory'))), 'PCL_AUTHN_STEP_UP_REQUIRED');
  });

  test('config stepUpRequired overrides the document either way; missing stepUp config is a load error', async () => {
    const off = createAuthnStage(config({ ...base, stepUpRequired: false }), deps([{ bearerAuth: [] }], { 'x-portcullis-step-up': true }, dir));
    assert.equal(code(await off.handlers.authenticate!(await req())), 'continue');
    const on = createAuthnStage(config({ ...base, stepUpRequired: true }), deps([{ bearerAuth: [] }], {}, dir));
    assert.equal(code(await on.handlers.authenticate!(await req())), 'PCL_AUTHN_STEP_UP_REQUIRED');
    const plain = createAuthnStage(config(base), deps([{ bearerAuth: [] }], {}, dir));
    assert.equal(code(await plain.handlers.authenticate!(await req())), 'continue');
    assert.throws(() => createAuthnStage(config({ schemes: base.schemes }), deps([{ bearerAuth: [] }], { 'x-portcullis-step-up': true }, dir)), /stepUp is not configured/);
  });
});
