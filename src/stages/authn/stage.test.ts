import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { SignJWT } from 'jose';
import { compileSchema } from '../../config/ajv.js';
import type { SecurityEventMessage } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision, StageDeps } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/index.js';
import type { OperationInfo } from '../../openapi/types.js';
import { now } from '../../../test/fixtures/authn/tokens.js';
import { AuthnSchema, type AuthnConfig } from './schema.js';
import { createAuthnStage } from './stage.js';

const SECRET = 'stage-test-shared-secret-of-at-least-32-bytes';
const ISS = 'https://issuer.example';
const store = new MemoryStore({ maxKeys: 100 });
after(() => store.close());

function config(raw: Record<string, unknown>): AuthnConfig {
  const value = structuredClone({
    schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['books'], secret: SECRET, algorithms: ['HS256'] }] } },
    ...raw,
  });
  const validate = compileSchema(AuthnSchema);
  assert.ok(validate(value), JSON.stringify(validate.errors));
  return value as unknown as AuthnConfig;
}

function deps(security: unknown[] | undefined, withOperation = true, extensions: Record<string, unknown> = {}, baseDir = tmpdir()): StageDeps {
  const operation = { method: 'GET', pathTemplate: '/books', operationId: 'listBooks', tags: [], parameters: [], responses: {}, pointer: '#', extensions, ...(security === undefined ? {} : { security }) } as OperationInfo;
  return { apiName: 'books', operationId: 'listBooks', baseDir, store, ...(withOperation ? { operation } : {}), securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } };
}

function ctx(headers: Record<string, string> = {}): RequestContext {
  return {
    id: 'req-1', startedAt: 0n, method: 'GET', path: '/books', query: '', headers,
    client: { ip: '203.0.113.9', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'books', operationId: 'listBooks', pathTemplate: '/books', tags: [], params: {} },
    principal: undefined, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: true,
  };
}

const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ iss: ISS, aud: 'books', sub: 'alice', exp: now() + 300, scope: 'books:read', ...claims })
    .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));

function rejected(d: Decision): { code: string; status: number; headers: Record<string, string>; detail: string | undefined } {
  assert.equal(d.kind, 'reject');
  const e = (d as { error: { code: string; status: number; headers: Record<string, string>; detail: string | undefined } }).error;
  return e;
}

async function run(cfg: AuthnConfig, security: unknown[] | undefined, c: RequestContext): Promise<Decision> {
  return createAuthnStage(cfg, deps(security)).handlers.authenticate!(c);
}

describe('authn stage', () => {
  const events: SecurityEventMessage[] = [];
  const listener = (m: unknown) => { events.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe('portcullis:security:event', listener);
  after(() => diagnostics_channel.unsubscribe('portcullis:security:event', listener));

  test('a valid token sets the principal and forwards it; client copies are replaced', async () => {
    const c = ctx({ authorization: `Bearer ${await token()}`, 'x-portcullis-subject': 'admin' });
    const d = await run(config({}), [{ bearerAuth: ['books:read'] }], c);
    assert.equal(d.kind, 'continue');
    assert.equal(c.principal?.id, 'alice');
    assert.equal(c.upstreamHeaders?.['x-portcullis-subject'], 'alice');
    assert.equal(c.upstreamHeaders?.['x-portcullis-scopes'], 'books:read');
    assert.equal(c.upstreamHeaders?.['x-portcullis-issuer'], ISS);
    assert.equal(c.upstreamHeaders?.['x-portcullis-client-id'], null);
    assert.equal(events.at(-1)?.kind, 'authn.success');
  });

  test('no credentials: 401 PCL_AUTHN_REQUIRED with a challenge without error attribute', async () => {
    const e = rejected(await run(config({}), [{ bearerAuth: [] }], ctx()));
    assert.equal(e.status, 401);
    assert.equal(e.code, 'PCL_AUTHN_REQUIRED');
    assert.equal(e.headers['www-authenticate'], 'Bearer realm="books"');
    assert.deepEqual({ kind: events.at(-1)?.kind, reason: events.at(-1)?.reason, client: events.at(-1)?.client }, { kind: 'authn.failure', reason: 'missing_credentials', client: '203.0.113.9' });
  });

  test('a bad token: 401 PCL_AUTHN_INVALID, error="invalid_token", uniform detail, reason only in the event', async () => {
    const expired = rejected(await run(config({}), [{ bearerAuth: [] }], ctx({ authorization: `Bearer ${await token({ exp: now() - 3600 })}` })));
    assert.equal(events.at(-1)?.reason, 'expired');
    const wrongAud = rejected(await run(config({}), [{ bearerAuth: [] }], ctx({ authorization: `Bearer ${await token({ aud: 'other' })}` })));
    assert.equal(events.at(-1)?.reason, 'wrong_audience');
    for (const e of [expired, wrongAud]) {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'PCL_AUTHN_INVALID');
      assert.equal(e.headers['www-authenticate'], 'Bearer realm="books", error="invalid_token"');
    }
    assert.equal(expired.detail, wrongAud.detail);
    assert.equal(events.at(-1)?.scheme, 'bearerAuth');
  });

  test('a valid token without the required scope: 403 insufficient_scope naming the scope', async () => {
    const e = rejected(await run(config({}), [{ bearerAuth: ['books:write'] }], ctx({ authorization: `Bearer ${await token()}` })));
    assert.equal(e.status, 403);
    assert.equal(e.code, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
    assert.equal(e.headers['www-authenticate'], 'Bearer realm="books", error="insufficient_scope", scope="books:write"');
  });

  test('a requirement listing two scopes needs both: a token with one of them is 403', async () => {
    const both = [{ bearerAuth: ['books:read', 'books:write'] }];
    for (const scope of ['books:read', 'books:write']) {
      const c = ctx({ authorization: `Bearer ${await token({ scope })}` });
      const e = rejected(await run(config({}), both, c));
      assert.equal(e.status, 403, scope);
      assert.equal(e.code, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
      assert.equal(c.principal, undefined);
    }
    assert.equal((await run(config({}), both, ctx({ authorization: `Bearer ${await token({ scope: 'books:write books:read' })}` }))).kind, 'continue');
  });

  test('alternatives: any one suffices; an empty requirement admits anonymous requests', async () => {
    const tok = await token();
    assert.equal((await run(config({}), [{ bearerAuth: ['books:write'] }, { bearerAuth: ['books:read'] }], ctx({ authorization: `Bearer ${tok}` }))).kind, 'continue');
    const anon = ctx({ 'x-portcullis-subject': 'forged' });
    assert.equal((await run(config({}), [{ bearerAuth: [] }, {}], anon)).kind, 'continue');
    assert.equal(anon.principal, undefined);
    assert.equal(anon.upstreamHeaders?.['x-portcullis-subject'], null);
  });

  test('public operations pass, still stripping client copies of principal headers', async () => {
    for (const security of [undefined, []]) {
      const c = ctx({ 'x-portcullis-subject': 'forged', 'x-user-id': '1' });
      assert.equal((await run(config({ forward: { strip: ['X-User-Id'] } }), security, c)).kind, 'continue');
      assert.equal(c.upstreamHeaders?.['x-portcullis-subject'], null);
      assert.equal(c.upstreamHeaders?.['x-user-id'], null);
    }
  });

  test('the config `security` overrides the document (here: public made protected)', async () => {
    const e = rejected(await run(config({ security: [{ bearerAuth: [] }] }), [], ctx()));
    assert.equal(e.code, 'PCL_AUTHN_REQUIRED');
  });

  test('claims with control characters are encoded, never injected as header lines', async () => {
    const c = ctx({ authorization: `Bearer ${await token({ sub: 'eve\r\nx-admin: 1', tenant: 'acme' })}` });
    await run(config({ forward: { claims: { 'x-tenant': 'tenant' }, authorization: false } }), [{ bearerAuth: [] }], c);
    assert.equal(c.upstreamHeaders?.['x-portcullis-subject'], 'eve%0D%0Ax-admin%3A%201');
    assert.equal(c.upstreamHeaders?.['x-tenant'], 'acme');
    assert.equal(c.upstreamHeaders?.authorization, null);
  });

  test('a required scheme without a configured verifier is a config error naming it', () => {
    assert.throws(() => createAuthnStage(config({}), deps([{ apiKeyAuth: [] }])), /security scheme "apiKeyAuth" has no verifier/);
  });

  test('a pass-through API needs an explicit `security`', () => {
    assert.throws(() => createAuthnStage(config({}), deps(undefined, false)), /needs `security`/);
    assert.doesNotThrow(() => createAuthnStage(config({ security: [{ bearerAuth: [] }] }), deps(undefined, false)));
  });

  test('a broken provider config is reported with the scheme name', () => {
    const bad = config({ schemes: { bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['b'], jwksUri: 'https://idp/jwks', algorithms: ['HS256'] }] } } });
    assert.throws(() => createAuthnStage(bad, deps([{ bearerAuth: [] }])), /scheme "bearerAuth": .*algorithm confusion/);
  });

  test('operations of one API share one provider (one JWKS and token cache)', async () => {
    const cfg = config({});
    const tok = await token({ jti: 'shared-1' });
    const a = createAuthnStage(cfg, deps([{ bearerAuth: [] }]));
    const b = createAuthnStage(structuredClone(cfg), deps([{ bearerAuth: [] }]));
    assert.equal((await a.handlers.authenticate!(ctx({ authorization: `Bearer ${tok}` }))).kind, 'continue');
    assert.equal((await b.handlers.authenticate!(ctx({ authorization: `Bearer ${tok}` }))).kind, 'continue');
  });

  test('the schema refuses an unknown kind and unknown fields', () => {
    const validate = compileSchema(AuthnSchema);
    assert.equal(validate({ schemes: { x: { kind: 'saml' } } }), false);
    assert.equal(validate({ schemes: {}, forwrd: {} }), false);
  });
});

describe('authn stage: combinations (AND)', () => {
  test('every scheme of a combination must pass; the principal carries the scopes of all', async () => {
    const { startFakeIdp } = await import('../../../test/fixtures/authn/servers.js');
    const idp = await startFakeIdp({ keys: [] });
    try {
      const cfg = config({
        schemes: {
          bearerAuth: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['books'], secret: SECRET, algorithms: ['HS256'] }] },
          opaque: { kind: 'introspection', endpoint: `${idp.url}/introspect`, clientId: idp.client.id, clientSecret: idp.client.secret },
        },
      });
      const tok = await token({ sub: 'combo' });
      const both = [{ bearerAuth: ['books:read'], opaque: ['audit:read'] }];
      const denied = rejected(await run(cfg, both, ctx({ authorization: `Bearer ${tok}` })));
      assert.equal(denied.code, 'PCL_AUTHN_INVALID');
      const tok2 = await token({ sub: 'combo', jti: 'second' }); // the first is negatively cached, as it should be
      idp.introspection.set(tok2, { active: true, sub: 'combo', scope: 'audit:read', exp: now() + 60 });
      const c = ctx({ authorization: `Bearer ${tok2}` });
      const stage = createAuthnStage(structuredClone(cfg), { ...deps(both), operationId: 'other' });
      assert.equal((await stage.handlers.authenticate!(c)).kind, 'continue');
      assert.deepEqual([...c.principal!.scopes].sort(), ['audit:read', 'books:read']);
    } finally {
      await idp.close();
    }
  });
});

describe('authn stage, synchronous on a cache hit (ADR 0027)', () => {
  test('the second request with a token is decided without a promise, with the same principal, headers and event', async () => {
    const events: SecurityEventMessage[] = [];
    const on = (m: unknown) => { events.push(m as SecurityEventMessage); };
    diagnostics_channel.subscribe('portcullis:security:event', on);
    try {
      const stage = createAuthnStage(config({ forward: { headers: { subject: 'X-User' } } }), deps([{ bearerAuth: [] }]));
      const t = await token();
      const first = ctx({ authorization: `Bearer ${t}` });
      assert.equal((await stage.handlers.authenticate!(first)).kind, 'continue');
      const second = ctx({ authorization: `Bearer ${t}`, 'x-user': 'mallory' });
      const d = stage.handlers.authenticate!(second);
      assert.ok(!(d instanceof Promise), 'a cached token with an in-process store needs no promise');
      assert.equal((d as Decision).kind, 'continue');
      assert.equal(second.principal?.id, 'alice');
      assert.deepEqual(second.principal, first.principal);
      // The client's own X-User never reaches the upstream: the principal's does.
      assert.equal(second.upstreamHeaders?.['x-user'], 'alice');
      assert.deepEqual(second.upstreamHeaders, first.upstreamHeaders);
      assert.deepEqual(events.filter((e) => e.kind === 'authn.success').map((e) => [e.principal, e.scheme, e.reason]), [['alice', 'bearerAuth', 'jwt'], ['alice', 'bearerAuth', 'jwt']]);
    } finally {
      diagnostics_channel.unsubscribe('portcullis:security:event', on);
    }
  });

  test('attack: a revoked subject is refused on the synchronous path too', async () => {
    const stage = createAuthnStage(config({}), deps([{ bearerAuth: [] }]));
    const t = await token({ sub: 'revoked-user' });
    assert.equal((await stage.handlers.authenticate!(ctx({ authorization: `Bearer ${t}` }))).kind, 'continue');
    await store.set(`revoked:sub:${ISS}:revoked-user`, '1', 60_000);
    const d = await stage.handlers.authenticate!(ctx({ authorization: `Bearer ${t}` }));
    assert.equal(rejected(d).code, 'PCL_AUTHN_INVALID');
  });
});
