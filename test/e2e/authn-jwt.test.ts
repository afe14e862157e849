import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { startFakeIdp, type FakeIdp } from '../fixtures/authn/servers.js';
import { b64, craft, now } from '../fixtures/authn/tokens.js';
import { E2E_PREAMBLE } from '../helpers/config.js';

const AUD = 'books-api';

function gatewayConfig(up: string, idp: string, authnExtra = ''): { dir: string; file: string } {
  return writeConfig(`${E2E_PREAMBLE}apis:
  - name: books
    upstream: ${up}
    openapi: ./secure-books.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers:
              - issuer: ${idp}
                audiences: [${AUD}]
                jwksUri: ${idp}/jwks
              - issuer: ${idp}/no-skew
                audiences: [${AUD}]
                jwksUri: ${idp}/jwks
                clockToleranceSeconds: 0
              - issuer: ${idp}/es-only
                audiences: [${AUD}]
                jwksUri: ${idp}/jwks
                algorithms: [ES256]
            jwks:
              refreshCooldownSeconds: 0.5
          opaque:
            kind: introspection
            endpoint: ${idp}/introspect
            clientId: gateway
            clientSecret: introspection-secret
${authnExtra}
`, { 'secure-books.yaml': readFileSync(fixture('authn', 'secure-books.yaml'), 'utf8') });
}

describe('authentication end to end (JWT, JWKS, introspection)', () => {
  let up: FakeUpstream;
  let idp: FakeIdp;
  let gw: GatewayProcess;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let other: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsaNode: { privateKey: KeyObject; publicKey: KeyObject };
  let keys: JWK[];

  const claims = (extra: Record<string, unknown> = {}) => ({ iss: idp.url, aud: AUD, sub: 'alice', exp: now() + 600, scope: 'books:read', ...extra });
  const sign = (extra: Record<string, unknown> = {}, key: CryptoKey = rsa.privateKey, header: Record<string, unknown> = { alg: 'RS256', kid: 'rsa-1' }) =>
    new SignJWT(claims(extra)).setProtectedHeader(header as { alg: string }).sign(key);
  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1${path}`, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });

  before(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    other = await generateKeyPair('RS256', { extractable: true });
    rsaNode = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = [
      { ...await exportJWK(rsa.publicKey), kid: 'rsa-1', alg: 'RS256' },
      { ...await exportJWK(ec.publicKey), kid: 'ec-1', alg: 'ES256' },
      { ...await exportJWK(rsaNode.publicKey), kid: 'node-rsa', alg: 'RS256' },
    ];
    idp = await startFakeIdp({ keys });
    up = await startUpstream();
    gw = await startGatewayProcess(gatewayConfig(up.url, idp.url).file);
  });
  after(async () => { await gw.stop(); await up.close(); await idp.close(); });

  test('a good token reaches the upstream with the principal headers; client-sent copies do not', async () => {
    const before = up.seen.length;
    const res = await get('/books', await sign(), { 'x-portcullis-subject': 'admin', 'x-portcullis-scopes': 'everything' });
    assert.equal(res.status, 200);
    const seen = up.seen[before]!;
    assert.equal(seen.headers['x-portcullis-subject'], 'alice');
    assert.equal(seen.headers['x-portcullis-scopes'], 'books:read');
    assert.equal(seen.headers['x-portcullis-issuer'], idp.url);
    assert.equal(seen.headers['x-portcullis-auth-kind'], 'jwt');
  });

  test('no token: 401 problem+json with a Bearer challenge and no error attribute', async () => {
    const before = up.seen.length;
    const res = await get('/books');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="books"');
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal((await res.json() as { code: string }).code, 'PCL_AUTHN_REQUIRED');
    assert.equal(up.seen.length, before);
  });

  test('each attack class gets the same 401 invalid_token and never reaches the upstream', async () => {
    const pub = rsaNode.publicKey.export({ type: 'spki', format: 'pem' });
    const good = await sign();
    const attacks: Record<string, string> = {
      'alg none': craft({ alg: 'none' }, claims(), { raw: 'AAAA' }),
      'alg NoNe': craft({ alg: 'NoNe' }, claims(), { raw: 'AAAA' }),
      'HS256 signed with the RSA public key': craft({ alg: 'HS256', kid: 'node-rsa' }, claims(), { hmac: pub }),
      'stripped signature': good.slice(0, good.lastIndexOf('.') + 1),
      'another key under a real kid': await sign({}, other.privateKey),
      'embedded jwk': await sign({}, other.privateKey, { alg: 'RS256', jwk: await exportJWK(other.publicKey) }),
      'jku': await sign({}, other.privateKey, { alg: 'RS256', kid: 'rsa-1', jku: 'http://127.0.0.1:1/jwks' }),
      'kid path traversal': await sign({}, other.privateKey, { alg: 'RS256', kid: '../../etc/passwd' }),
      'ECDSA r=s=0': craft({ alg: 'ES256', kid: 'ec-1' }, claims(), { raw: Buffer.alloc(64).toString('base64url') }),
      'expired': await sign({ exp: now() - 3600 }),
      'not yet valid': await sign({ nbf: now() + 3600 }),
      'missing exp': await sign({ exp: undefined }),
      'wrong audience': await sign({ aud: 'billing' }),
      'wrong issuer': await sign({ iss: 'https://evil.example' }),
      'unknown crit': craft({ alg: 'RS256', kid: 'node-rsa', crit: ['x-ext'], 'x-ext': 1 }, claims(), { rsa: rsaNode.privateKey }),
      'b64 false': craft({ alg: 'RS256', kid: 'node-rsa', b64: false }, claims(), { rsa: rsaNode.privateKey }),
      'malformed JSON': `${b64('{"alg":')}.${b64(claims())}.AAAA`,
      'duplicate header keys': craft('{"alg":"RS256","kid":"node-rsa","kid":"rsa-1"}', claims(), { rsa: rsaNode.privateKey }),
    };
    const before = up.seen.length;
    const details = new Set<string>();
    for (const [name, token] of Object.entries(attacks)) {
      const res = await get('/books', token);
      assert.equal(res.status, 401, name);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="books", error="invalid_token"', name);
      const body = await res.json() as { code: string; detail: string };
      assert.equal(body.code, 'PCL_AUTHN_INVALID', name);
      details.add(body.detail);
    }
    assert.equal(details.size, 1, 'the client message is uniform (no oracle)');
    assert.equal(up.seen.length, before);
  });

  test('a 1 MB token is refused (431 or 401) and the gateway keeps serving', async () => {
    const res = await rawRequest(Number(new URL(gw.url).port), `GET /v1/books HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(1024 * 1024)}\r\nConnection: close\r\n\r\n`);
    assert.ok(res.status === 431 || res.status === 401, res.raw.slice(0, 80));
    assert.equal((await get('/books', await sign())).status, 200);
  });

  test('a valid token without the operation\'s scope: 403 insufficient_scope', async () => {
    const res = await fetch(`${gw.url}/v1/books/7`, { method: 'DELETE', headers: { authorization: `Bearer ${await sign()}` } });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="books", error="insufficient_scope", scope="books:write"');
    assert.equal((await res.json() as { code: string }).code, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
    const ok = await fetch(`${gw.url}/v1/books/7`, { method: 'DELETE', headers: { authorization: `Bearer ${await sign({ scope: 'books:read books:write' })}` } });
    assert.equal(ok.status, 200);
  });

  test('a requirement listing two scopes needs both: one of them is 403 insufficient_scope', async () => {
    const put = async (scope: string) => fetch(`${gw.url}/v1/books/7`, { method: 'PUT', headers: { authorization: `Bearer ${await sign({ scope })}` } });
    for (const scope of ['books:read', 'books:write']) {
      const before = up.seen.length;
      const res = await put(scope);
      assert.equal(res.status, 403, scope);
      assert.equal((await res.json() as { code: string }).code, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="books", error="insufficient_scope", scope="books:read books:write"');
      assert.equal(up.seen.length, before, 'never reaches the upstream');
    }
    assert.equal((await put('books:read books:write')).status, 200);
  });

  test('a token cached by the gateway is refused once its exp passes (clock tolerance 0)', async () => {
    const exp = now() + 2;
    const token = await sign({ iss: `${idp.url}/no-skew`, exp, jti: 'short-lived' });
    assert.equal((await get('/books', token)).status, 200);
    assert.equal((await get('/books', token)).status, 200);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const res = await get('/books', token);
    assert.equal(res.status, 401);
    assert.equal((await res.json() as { code: string }).code, 'PCL_AUTHN_INVALID');
    await gw.waitForLog((l) => l.event === 'authn.failure' && l.reason === 'expired');
  });

  test('an issuer allowing fewer algorithms than its JWKS holds: a validly signed RS256 token is 401, never proxied', async () => {
    const iss = `${idp.url}/es-only`;
    const before = up.seen.length;
    const rs = await get('/books', await sign({ iss }));
    assert.equal(rs.status, 401);
    assert.equal((await rs.json() as { code: string }).code, 'PCL_AUTHN_INVALID');
    assert.equal(up.seen.length, before);
    await gw.waitForLog((l) => l.event === 'authn.failure' && l.reason === 'alg_not_allowed');
    assert.equal((await get('/books', await sign({ iss }, ec.privateKey, { alg: 'ES256', kid: 'ec-1' }))).status, 200);
    assert.equal((await get('/books', await sign())).status, 200, 'the same RS256 key is fine for the issuer that allows it');
  });

  test('a public operation needs no token, and forged principal headers are still stripped', async () => {
    const before = up.seen.length;
    const res = await get('/health', undefined, { 'x-portcullis-subject': 'admin' });
    assert.equal(res.status, 200);
    assert.equal(up.seen[before]!.headers['x-portcullis-subject'], undefined);
  });

  test('the JWKS is fetched once for many requests with distinct tokens', async () => {
    const fetched = idp.hits['/jwks'];
    for (let i = 0; i < 20; i++) assert.equal((await get('/books', await sign({ jti: `many-${i}` }))).status, 200);
    assert.ok((fetched ?? 0) >= 1);
    assert.equal(idp.hits['/jwks'], fetched, 'no JWKS fetch per request');
  });

  test('key rotation: a new kid in the JWKS is picked up without restart', async () => {
    const rotated = await generateKeyPair('ES256', { extractable: true });
    idp.setJwks({ keys: [...keys, { ...await exportJWK(rotated.publicKey), kid: 'ec-2', alg: 'ES256' }] });
    await new Promise((r) => setTimeout(r, 600)); // past the configured refresh cooldown
    const before = idp.hits['/jwks'] ?? 0;
    const token = await sign({}, rotated.privateKey, { alg: 'ES256', kid: 'ec-2' });
    assert.equal((await get('/books', token)).status, 200);
    assert.equal(idp.hits['/jwks'], before + 1);
    assert.equal((await get('/books', token)).status, 200);
    assert.equal(idp.hits['/jwks'], before + 1);
  });

  test('introspection: an active opaque token passes, repeats make no new call; inactive is 401', async () => {
    idp.introspection.set('opaque-good', { active: true, sub: 'svc-7', scope: 'books:read', client_id: 'reporting', exp: now() + 600 });
    const calls = idp.hits['/introspect'] ?? 0;
    const before = up.seen.length;
    for (let i = 0; i < 5; i++) assert.equal((await get('/reports', 'opaque-good')).status, 200);
    assert.equal(idp.hits['/introspect'], calls + 1);
    assert.equal(up.seen[before]!.headers['x-portcullis-subject'], 'svc-7');
    assert.equal(up.seen[before]!.headers['x-portcullis-client-id'], 'reporting');
    const bad = await get('/reports', 'opaque-unknown');
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('www-authenticate'), 'Bearer realm="books", error="invalid_token"');
  });

  test('a required scheme without a verifier is a config error with file:line', async () => {
    const { file } = writeConfig(`apis:
  - name: books
    upstream: ${up.url}
    openapi: ./secure-books.yaml
    stages:
      authn:
        schemes:
          opaque:
            kind: introspection
            endpoint: ${idp.url}/introspect
            clientId: a
            clientSecret: b
`, { 'secure-books.yaml': readFileSync(fixture('authn', 'secure-books.yaml'), 'utf8') });
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ .*security scheme "bearerAuth" has no verifier/);
  });
});
