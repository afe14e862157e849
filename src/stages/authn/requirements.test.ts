import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { SignJWT } from 'jose';
import { compileSchema } from '../../config/ajv.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision } from '../../pipeline/stage.js';
import type { OperationInfo } from '../../openapi/types.js';
import { MemoryStore } from '../../store/index.js';
import { now } from '../../../test/fixtures/authn/tokens.js';
import { grantsOf } from './requirements.js';
import { AuthnSchema, type AuthnConfig } from './schema.js';
import { createAuthnStage } from './stage.js';

const SECRET = 'requirements-test-shared-secret-of-32-bytes';
const ISS = 'https://idp.example';
const store = new MemoryStore({ maxKeys: 100 });
after(() => store.close());

function config(requirementsFrom?: string[]): AuthnConfig {
  const value = structuredClone({
    schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['shop'], secret: SECRET, algorithms: ['HS256'] }], ...(requirementsFrom === undefined ? {} : { requirementsFrom }) } },
  });
  const validate = compileSchema(AuthnSchema);
  assert.ok(validate(value), JSON.stringify(validate.errors));
  return value as unknown as AuthnConfig;
}

async function call(cfg: AuthnConfig, claims: Record<string, unknown>): Promise<Decision> {
  const operation = { method: 'GET', pathTemplate: '/admin/users', operationId: 'listUsers', tags: [], parameters: [], responses: {}, pointer: '#', extensions: {}, security: [{ bearerAuth: ['admin'] }] } as unknown as OperationInfo;
  const stage = createAuthnStage(cfg, { apiName: 'shop', operationId: 'listUsers', baseDir: tmpdir(), store, operation, securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } });
  const jwt = await new SignJWT({ iss: ISS, aud: 'shop', sub: 'u1', exp: now() + 300, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  const ctx: RequestContext = {
    id: 'r', startedAt: 0n, method: 'GET', path: '/admin/users', query: '', headers: { authorization: `Bearer ${jwt}` },
    client: { ip: '203.0.113.9', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'shop', operationId: 'listUsers', pathTemplate: '/admin/users', tags: [], params: {} },
    principal: undefined, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: true,
  };
  return stage.handlers.authenticate!(ctx);
}

const code = (d: Decision) => (d.kind === 'reject' ? d.error.code : d.kind);

test('security [{ bearerAuth: [admin] }]: by default only a scope satisfies it; a `role` claim does not', async () => {
  assert.equal(code(await call(config(), { role: 'admin' })), 'PCL_AUTHN_INSUFFICIENT_SCOPE');
  assert.equal(code(await call(config(), { scope: 'admin' })), 'continue');
});

test('requirementsFrom [claim:role]: a `role` claim satisfies it, a user role does not, scopes no longer do', async () => {
  const cfg = config(['claim:role']);
  assert.equal(code(await call(cfg, { role: 'admin' })), 'continue');
  assert.equal(code(await call(cfg, { role: 'user' })), 'PCL_AUTHN_INSUFFICIENT_SCOPE');
  assert.equal(code(await call(cfg, { role: ['user', 'admin'] })), 'continue');
  assert.equal(code(await call(cfg, { scope: 'admin' })), 'PCL_AUTHN_INSUFFICIENT_SCOPE');
});

test('requirementsFrom [scopes, roles]: either the scopes or the roles claim (jwt rolesClaim) satisfy it', async () => {
  const cfg = config(['scopes', 'roles']);
  assert.equal(code(await call(cfg, { roles: ['admin'] })), 'continue');
  assert.equal(code(await call(cfg, { scope: 'admin' })), 'continue');
  assert.equal(code(await call(cfg, { roles: ['auditor'], scope: 'read' })), 'PCL_AUTHN_INSUFFICIENT_SCOPE');
});

test('requirementsFrom is checked by the schema, and grantsOf reads lists and space-separated strings', () => {
  const validate = compileSchema(AuthnSchema);
  assert.equal(validate({ schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, secret: SECRET }], requirementsFrom: ['groups'] } } }), false);
  const p = { id: 'u', kind: 'jwt', scopes: ['a'], roles: ['r'], claims: { grp: 'x y', n: 5 } };
  assert.deepEqual(grantsOf(['scopes', 'roles', 'claim:grp', 'claim:n'])(p), ['a', 'r', 'x', 'y']);
  assert.deepEqual(grantsOf()(p), ['a']);
});
