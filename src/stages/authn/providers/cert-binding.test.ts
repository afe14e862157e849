import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { SignJWT } from 'jose';
import { compileSchema } from '../../../config/ajv.js';
import type { ClientCertificate } from '../../../pipeline/context.js';
import { MemoryStore } from '../../../store/index.js';
import { makeCtx } from '../../../../test/fixtures/authn-keys/context.js';
import { startFakeIdp } from '../../../../test/fixtures/authn/servers.js';
import type { VerifyResult } from '../provider.js';
import { createIntrospectionProvider } from './introspection/provider.js';
import { IntrospectionSchemeSchema, type IntrospectionSchemeConfig } from './introspection/schema.js';
import { createJwtProvider } from './jwt/provider.js';
import { JwtSchemeSchema, type JwtSchemeConfig } from './jwt/schema.js';

const SECRET = 'cert-binding-test-shared-secret-0123456789';
const ISS = 'https://issuer.example';
const STRICT = 'https://strict.example';
const THUMB_A = 'A'.repeat(43);
const THUMB_B = 'B'.repeat(43);
const store = new MemoryStore();
after(() => store.close());

const valid = <T>(schema: Parameters<typeof compileSchema>[0], raw: unknown): T => {
  const v = structuredClone(raw);
  const validate = compileSchema(schema);
  assert.ok(validate(v), JSON.stringify(validate.errors));
  return v as T;
};
const cert = (thumbprint: string, authorized = true): ClientCertificate => ({
  authorized, authorizationError: authorized ? undefined : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', subject: {}, issuer: {}, subjectAltName: [],
  thumbprint, serialNumber: '01', validFrom: 0, validTo: Number.MAX_SAFE_INTEGER, raw: Buffer.alloc(0),
} as unknown as ClientCertificate);
const req = (token: string, certificate?: ClientCertificate) =>
  makeCtx({ headers: { authorization: `Bearer ${token}` }, client: certificate === undefined ? {} : { tls: true, proto: 'https', certificate } });
const reason = (r: VerifyResult) => (r.kind === 'failed' ? r.reason : r.kind);
const deps = { apiName: 'books', operationId: 'op', baseDir: tmpdir(), store, scheme: 'bearerAuth', securityScheme: undefined, realm: 'books' };

test('jwt: a certificate-bound token (RFC 8705) only works with that verified certificate', async () => {
  const cfg = valid<JwtSchemeConfig>(JwtSchemeSchema, { kind: 'jwt', issuers: [
    { issuer: ISS, audiences: ['books'], secret: SECRET, algorithms: ['HS256'] },
    { issuer: STRICT, audiences: ['books'], secret: SECRET, algorithms: ['HS256'], requireCertificateBinding: true },
  ] });
  const p = createJwtProvider(cfg, deps);
  const sign = (claims: Record<string, unknown>) => new SignJWT({ aud: 'books', sub: 'svc', exp: Math.floor(Date.now() / 1000) + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  const bound = await sign({ iss: ISS, cnf: { 'x5t#S256': THUMB_A } });
  assert.equal(reason(await p.verify(req(bound, cert(THUMB_A)))), 'ok');
  // Cached verification must not skip the binding check.
  assert.equal(reason(await p.verify(req(bound, cert(THUMB_B)))), 'cert_mismatch');
  assert.equal(reason(await p.verify(req(bound))), 'cert_required');
  assert.equal(reason(await p.verify(req(bound, cert(THUMB_A, false)))), 'cert_required');
  assert.equal(reason(await p.verify(req(await sign({ iss: ISS, cnf: { 'x5t#S256': 'short' } }), cert(THUMB_A)))), 'bad_cnf');
  assert.equal(reason(await p.verify(req(await sign({ iss: ISS })))), 'ok');
  assert.equal(reason(await p.verify(req(await sign({ iss: STRICT }), cert(THUMB_A)))), 'cnf_required');
  assert.equal(reason(await p.verify(req(await sign({ iss: STRICT, cnf: { 'x5t#S256': THUMB_A } }), cert(THUMB_A)))), 'ok');
});

test('introspection: the response\'s cnf binds the token to the certificate; requireCertificateBinding refuses unbound tokens', async () => {
  const idp = await startFakeIdp({ keys: [] });
  try {
    const base = { kind: 'introspection', endpoint: `${idp.url}/introspect`, clientId: idp.client.id, clientSecret: idp.client.secret };
    const p = createIntrospectionProvider(valid<IntrospectionSchemeConfig>(IntrospectionSchemeSchema, base), deps);
    const exp = Math.floor(Date.now() / 1000) + 300;
    idp.introspection.set('bound-token', { active: true, sub: 'svc', exp, cnf: { 'x5t#S256': THUMB_A } });
    idp.introspection.set('plain-token', { active: true, sub: 'svc', exp });
    assert.equal(reason(await p.verify(req('bound-token', cert(THUMB_A)))), 'ok');
    assert.equal(reason(await p.verify(req('bound-token', cert(THUMB_B)))), 'cert_mismatch');
    assert.equal(reason(await p.verify(req('bound-token'))), 'cert_required');
    assert.equal(reason(await p.verify(req('plain-token'))), 'ok');
    const strict = createIntrospectionProvider(valid<IntrospectionSchemeConfig>(IntrospectionSchemeSchema, { ...base, requireCertificateBinding: true }), deps);
    assert.equal(reason(await strict.verify(req('plain-token', cert(THUMB_A)))), 'cnf_required');
    assert.equal(reason(await strict.verify(req('bound-token', cert(THUMB_A)))), 'ok');
  } finally {
    await idp.close();
  }
});
