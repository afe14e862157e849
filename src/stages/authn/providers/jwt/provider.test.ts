import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { MemoryStore } from '../../../../store/index.js';
import { revokeJti, revokeSubject } from '../../revocation.js';
import { compileSchema } from '../../../../config/ajv.js';
import { bearerCtx, providerDeps, validConfig } from '../../../../../test/fixtures/authn/provider-setup.js';
import { startFakeIdp, type FakeIdp } from '../../../../../test/fixtures/authn/servers.js';
import { b64, craft, now } from '../../../../../test/fixtures/authn/tokens.js';
import { createJwtProvider, type JwtProvider } from './provider.js';
import { JwtSchemeSchema, type JwtSchemeConfig } from './schema.js';

const SECRET = 'a-very-long-shared-secret-for-hs256-tests!';
const AUD = 'books-api';

const config = (raw: unknown) => validConfig<JwtSchemeConfig>(JwtSchemeSchema, raw);
const ctx = bearerCtx;

describe('jwt provider (RFC 8725)', () => {
  let idp: FakeIdp;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ed: { privateKey: CryptoKey; publicKey: CryptoKey };
  let other: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsaNode: { privateKey: KeyObject; publicKey: KeyObject };
  let pemIssuerKey: { privateKey: KeyObject; publicKey: KeyObject };
  let jwks: { keys: JWK[] };
  let provider: JwtProvider;
  let store: MemoryStore;
  let dir: string;

  const ISS = () => idp.url;
  const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS(), aud: AUD, sub: 'user-1', exp: now() + 600, iat: now(), scope: 'books:read books:write', ...extra });
  const signed = (key: CryptoKey, alg: string, kid: string, extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT(claims(extra)).setProtectedHeader({ alg, kid, ...header }).sign(key);
  const verify = (token: string | undefined) => provider.verify(ctx(token));
  const reasonOf = async (token: string) => {
    const r = await verify(token);
    assert.equal(r.kind, 'failed', `expected a failure, got ${JSON.stringify(r)}`);
    return (r as { reason: string }).reason;
  };

  before(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    ed = await generateKeyPair('EdDSA', { extractable: true });
    other = await generateKeyPair('RS256', { extractable: true });
    rsaNode = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pemIssuerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    jwks = { keys: [
      { ...await exportJWK(rsa.publicKey), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...await exportJWK(ec.publicKey), kid: 'ec-1', alg: 'ES256' },
      { ...await exportJWK(ed.publicKey), kid: 'ed-1', alg: 'EdDSA' },
      { ...await exportJWK(rsaNode.publicKey), kid: 'node-rsa', alg: 'RS256' },
    ] };
    idp = await startFakeIdp(jwks);
    dir = mkdtempSync(join(tmpdir(), 'pcl-jwt-'));
    writeFileSync(join(dir, 'issuer.pem'), pemIssuerKey.publicKey.export({ type: 'spki', format: 'pem' }));
    store = new MemoryStore({ maxKeys: 1000 });
    provider = createJwtProvider(config({
      kind: 'jwt',
      issuers: [
        { issuer: ISS(), audiences: [AUD], jwksUri: `${ISS()}/jwks`, clockToleranceSeconds: 5 },
        { issuer: 'https://hmac.example', audiences: [AUD], secret: SECRET, algorithms: ['HS256'] },
        { issuer: 'https://pem.example', audiences: [AUD], keysFile: 'issuer.pem', algorithms: ['ES256'], typ: 'at+jwt' },
      ],
      jwks: { refreshCooldownSeconds: 0.1 },
    }), providerDeps(store, 'bearerAuth', dir));
  });
  after(async () => { await idp.close(); await store.close(); });

  test('valid RS256, ES256 and EdDSA tokens from the JWKS give a principal', async () => {
    for (const [key, alg, kid] of [[rsa.privateKey, 'RS256', 'rsa-1'], [ec.privateKey, 'ES256', 'ec-1'], [ed.privateKey, 'EdDSA', 'ed-1']] as const) {
      const r = await verify(await signed(key, alg, kid));
      assert.equal(r.kind, 'ok', alg);
      if (r.kind === 'ok') {
        assert.equal(r.principal.id, 'user-1');
        assert.equal(r.principal.issuer, ISS());
        assert.deepEqual(r.principal.scopes, ['books:read', 'books:write']);
      }
    }
  });

  test('HS256 with the configured secret, and ES256 from a PEM file with typ at+jwt', async () => {
    const hs = await new SignJWT(claims({ iss: 'https://hmac.example' })).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    assert.equal((await verify(hs)).kind, 'ok');
    const pem = craft({ alg: 'ES256', typ: 'at+jwt' }, claims({ iss: 'https://pem.example' }), { ec: pemIssuerKey.privateKey });
    assert.equal((await verify(pem)).kind, 'ok');
    const noTyp = craft({ alg: 'ES256' }, claims({ iss: 'https://pem.example' }), { ec: pemIssuerKey.privateKey });
    assert.equal(await reasonOf(noTyp), 'bad_typ');
  });

  test('no Authorization header, or another scheme, is absent (another provider may apply)', async () => {
    assert.equal((await verify(undefined)).kind, 'absent');
    assert.equal((await provider.verify({ ...ctx(undefined), headers: { authorization: 'Basic dTpw' } })).kind, 'absent');
  });

  test('alg none is refused in any case', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      assert.equal(await reasonOf(craft({ alg }, claims(), { raw: '' })), 'signature_missing');
      assert.equal(await reasonOf(craft({ alg }, claims(), { raw: 'AAAA' })), 'alg_none');
    }
  });

  test('algorithm confusion: HS256 signed with the RSA public key is refused', async () => {
    const pub = rsaNode.publicKey.export({ type: 'spki', format: 'pem' });
    const forged = craft({ alg: 'HS256', kid: 'node-rsa' }, claims(), { hmac: pub });
    assert.equal(await reasonOf(forged), 'alg_not_allowed');
    const jwkForm = craft({ alg: 'HS256', kid: 'node-rsa' }, claims(), { hmac: JSON.stringify(jwks.keys[3]) });
    assert.equal(await reasonOf(jwkForm), 'alg_not_allowed');
  });

  test('a stripped signature is refused', async () => {
    const good = await signed(rsa.privateKey, 'RS256', 'rsa-1');
    assert.equal(await reasonOf(good.slice(0, good.lastIndexOf('.') + 1)), 'signature_missing');
  });

  test('a signature from another key under a real kid is refused', async () => {
    assert.equal(await reasonOf(await signed(other.privateKey, 'RS256', 'rsa-1')), 'bad_signature');
  });

  test('a tampered payload is refused', async () => {
    const good = await signed(rsa.privateKey, 'RS256', 'rsa-1');
    const [h, , s] = good.split('.');
    assert.equal(await reasonOf(`${h}.${b64(claims({ sub: 'admin' }))}.${s}`), 'bad_signature');
  });

  test('an unknown kid and a path-traversal kid are lookup misses', async () => {
    assert.equal(await reasonOf(await signed(other.privateKey, 'RS256', 'no-such-kid')), 'unknown_kid');
    assert.equal(await reasonOf(await signed(other.privateKey, 'RS256', '../../etc/passwd')), 'unknown_kid');
    assert.equal(await reasonOf(craft({ alg: 'RS256', kid: 42 }, claims(), { raw: 'AAAA' })), 'bad_kid');
  });

  test('embedded jwk, jku, x5u and x5c are refused: keys never come from the token', async () => {
    const attackerJwk = await exportJWK(other.publicKey);
    assert.equal(await reasonOf(await signed(other.privateKey, 'RS256', 'rsa-1', {}, { jwk: attackerJwk })), 'embedded_key');
    assert.equal(await reasonOf(await signed(other.privateKey, 'RS256', 'rsa-1', {}, { jku: 'https://evil.example/jwks' })), 'embedded_key');
    assert.equal(await reasonOf(craft({ alg: 'RS256', x5u: 'https://evil.example/cert' }, claims(), { rsa: rsaNode.privateKey })), 'embedded_key');
    assert.equal(await reasonOf(craft({ alg: 'RS256', x5c: ['MIIB'] }, claims(), { rsa: rsaNode.privateKey })), 'embedded_key');
  });

  test('ECDSA r=s=0 (CVE-2022-21449, "psychic signatures") is refused', async () => {
    const zero = Buffer.alloc(64).toString('base64url');
    assert.equal(await reasonOf(craft({ alg: 'ES256', kid: 'ec-1' }, claims(), { raw: zero })), 'bad_signature');
  });

  test('expired, not yet valid and missing exp are refused; small skew is tolerated', async () => {
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { exp: now() - 60 })), 'expired');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { nbf: now() + 60 })), 'not_yet_valid');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { exp: undefined })), 'missing_exp');
    assert.equal((await verify(await signed(rsa.privateKey, 'RS256', 'rsa-1', { exp: now() - 2 }))).kind, 'ok');
  });

  test('an iat further in the future than the clock tolerance is refused (bad_iat) without maxTokenAgeSeconds', async () => {
    // The issuer tolerates 5 s of skew.
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iat: now() + 3600 })), 'bad_iat');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iat: now() + 30 })), 'bad_iat');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iat: 'yesterday' })), 'bad_iat');
    assert.equal((await verify(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iat: now() + 2 }))).kind, 'ok');
    assert.equal((await verify(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iat: undefined }))).kind, 'ok');
  });

  test('wrong iss and wrong aud are refused', async () => {
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iss: 'https://evil.example' })), 'unknown_issuer');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iss: `${ISS()}/` })), 'unknown_issuer');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { aud: 'other-api' })), 'wrong_audience');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { aud: undefined })), 'missing_aud');
  });

  test('an issuer only accepts its own algorithms (HS256 token for a JWKS issuer, RS256 for the HMAC issuer)', async () => {
    const hsForJwks = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    assert.equal(await reasonOf(hsForJwks), 'alg_not_allowed');
    assert.equal(await reasonOf(await signed(rsa.privateKey, 'RS256', 'rsa-1', { iss: 'https://hmac.example' })), 'alg_not_allowed');
  });

  test('crit, b64:false, malformed base64/JSON and duplicate header keys are refused', async () => {
    assert.equal(await reasonOf(craft({ alg: 'RS256', kid: 'node-rsa', crit: ['exp-ext'], 'exp-ext': 1 }, claims(), { rsa: rsaNode.privateKey })), 'crit_unsupported');
    assert.equal(await reasonOf(craft({ alg: 'RS256', kid: 'node-rsa', b64: false, crit: ['b64'] }, claims(), { rsa: rsaNode.privateKey })), 'crit_unsupported');
    assert.equal(await reasonOf(craft({ alg: 'RS256', kid: 'node-rsa', b64: false }, claims(), { rsa: rsaNode.privateKey })), 'b64_unsupported');
    assert.equal(await reasonOf('e30.e30.AAAA!'), 'malformed');
    assert.equal(await reasonOf(`${b64('{"alg":"RS256"')}.${b64(claims())}.AAAA`), 'malformed');
    assert.equal(await reasonOf(`${b64('"RS256"')}.${b64(claims())}.AAAA`), 'malformed');
    assert.equal(await reasonOf('only.two'), 'malformed');
    assert.equal(await reasonOf(craft('{"alg":"none","alg":"RS256","kid":"node-rsa"}', claims(), { rsa: rsaNode.privateKey })), 'duplicate_member');
    assert.equal(await reasonOf(craft({ alg: 'RS256', kid: 'node-rsa' }, `{"sub":"user-1","sub":"admin","iss":"${ISS()}"}`, { rsa: rsaNode.privateKey })), 'duplicate_member');
    const r = await provider.verify({ ...ctx(undefined), headers: { authorization: 'Bearer a b' } });
    assert.deepEqual(r, { kind: 'failed', reason: 'malformed', scheme: 'bearerAuth' });
  });

  test('a token larger than maxTokenBytes is refused before decoding', async () => {
    assert.equal(await reasonOf('a'.repeat(1024 * 1024)), 'token_too_large');
  });

  test('repeat requests hit the verified-token cache; revocation by jti and subject still applies', async () => {
    const token = await signed(rsa.privateKey, 'RS256', 'rsa-1', { jti: 'jti-cache-1', sub: 'cached-user' });
    const before = provider.stats.verifications;
    for (let i = 0; i < 5; i++) assert.equal((await verify(token)).kind, 'ok');
    assert.equal(provider.stats.verifications, before + 1);
    await revokeJti(store, 'jti-cache-1', 60_000);
    assert.equal(await reasonOf(token), 'revoked');
    const other2 = await signed(rsa.privateKey, 'RS256', 'rsa-1', { sub: 'bad-user' });
    assert.equal((await verify(other2)).kind, 'ok');
    await revokeSubject(store, ISS(), 'bad-user', 60_000);
    assert.equal(await reasonOf(other2), 'revoked');
  });

  test('a cached token stops working at its exp (clock tolerance 0), however long the cache TTL', async () => {
    // cacheTtlSeconds 300 > the token's 2 s of life: only exp may end the cache entry.
    const p = createJwtProvider(config({
      kind: 'jwt', cacheTtlSeconds: 300,
      issuers: [{ issuer: 'https://hmac.example', audiences: [AUD], secret: SECRET, algorithms: ['HS256'], clockToleranceSeconds: 0 }],
    }), providerDeps(store, 'shortLived', dir));
    const exp = now() + 2;
    const token = await new SignJWT(claims({ iss: 'https://hmac.example', exp })).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    assert.equal((await p.verify(ctx(token))).kind, 'ok');
    assert.equal((await p.verify(ctx(token))).kind, 'ok');
    assert.equal(p.stats.cacheHits, 1, 'the second request came from the cache');
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    assert.deepEqual(await p.verify(ctx(token)), { kind: 'failed', reason: 'expired', scheme: 'shortLived' });
  });

  test('an issuer that allows fewer algorithms than its JWKS holds refuses the others, with a valid signature', async () => {
    // The JWKS has RS256, ES256 and EdDSA keys; this issuer accepts ES256 only.
    const es = createJwtProvider(config({
      kind: 'jwt', issuers: [{ issuer: ISS(), audiences: [AUD], jwksUri: `${ISS()}/jwks`, algorithms: ['ES256'] }],
    }), providerDeps(store, 'esOnly', dir));
    assert.equal((await es.verify(ctx(await signed(ec.privateKey, 'ES256', 'ec-1')))).kind, 'ok');
    for (const token of [await signed(rsa.privateKey, 'RS256', 'rsa-1'), await signed(ed.privateKey, 'EdDSA', 'ed-1')]) {
      const r = await es.verify(ctx(token));
      assert.deepEqual(r, { kind: 'failed', reason: 'alg_not_allowed', scheme: 'esOnly' });
      assert.equal((await verify(token)).kind, 'ok', 'the same token passes an issuer that allows its algorithm');
    }
  });

  test('a keys file is watched: a rotated file is used without a reload, and a removed key stops working at once', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pcl-jwt-rotate-'));
    const [first, second] = [await generateKeyPair('ES256', { extractable: true }), await generateKeyPair('ES256', { extractable: true })];
    const write = async (...keys: [CryptoKey, string][]) => writeFileSync(join(d, 'keys.json'),
      JSON.stringify({ keys: await Promise.all(keys.map(async ([k, kid]) => ({ ...await exportJWK(k), kid, alg: 'ES256' }))) }));
    await write([first.publicKey, 'one']);
    const p = createJwtProvider(config({ kind: 'jwt', keysFileCheckMs: 0, issuers: [{ issuer: 'https://file.example', audiences: [AUD], keysFile: 'keys.json', algorithms: ['ES256'] }] }),
      providerDeps(store, 'fileAuth', d));
    const token = (key: CryptoKey, kid: string) => new SignJWT(claims({ iss: 'https://file.example' })).setProtectedHeader({ alg: 'ES256', kid }).sign(key);
    const oldToken = await token(first.privateKey, 'one');
    assert.equal((await p.verify(ctx(oldToken))).kind, 'ok');
    assert.deepEqual(await p.verify(ctx(await token(second.privateKey, 'two'))), { kind: 'failed', reason: 'unknown_kid', scheme: 'fileAuth' });
    await write([second.publicKey, 'two']);
    assert.equal((await p.verify(ctx(await token(second.privateKey, 'two')))).kind, 'ok', 'the new key is picked up');
    assert.deepEqual(await p.verify(ctx(oldToken)), { kind: 'failed', reason: 'unknown_kid', scheme: 'fileAuth' }, 'a cached token of the removed key is verified again');
    writeFileSync(join(d, 'keys.json'), '{ not json');
    assert.equal((await p.verify(ctx(await token(second.privateKey, 'two')))).kind, 'ok', 'a broken file keeps the previous keys');
  });

  test('the JWKS is fetched once for many tokens; a new kid triggers one refetch (rotation)', async () => {
    const fetchesBefore = idp.hits['/jwks'] ?? 0;
    for (let i = 0; i < 10; i++) assert.equal((await verify(await signed(rsa.privateKey, 'RS256', 'rsa-1', { jti: `many-${i}` }))).kind, 'ok');
    assert.equal(idp.hits['/jwks'] ?? 0, fetchesBefore);
    const rotated = await generateKeyPair('ES256', { extractable: true });
    idp.setJwks({ keys: [...jwks.keys, { ...await exportJWK(rotated.publicKey), kid: 'ec-2', alg: 'ES256' }] });
    await new Promise((r) => setTimeout(r, 150));
    const fresh = await signed(rotated.privateKey, 'ES256', 'ec-2');
    assert.equal((await verify(fresh)).kind, 'ok');
    assert.equal(idp.hits['/jwks'], fetchesBefore + 1);
  });

  test('a flood of unknown kids causes no fetch within the cooldown', async () => {
    const flooded = createJwtProvider(config({
      kind: 'jwt',
      issuers: [{ issuer: ISS(), audiences: [AUD], jwksUri: `${ISS()}/jwks` }],
      jwks: { refreshCooldownSeconds: 60 },
    }), providerDeps(store, 'flood', dir));
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signed(other.privateKey, 'RS256', `random-${i}`)));
    const results = await Promise.all(tokens.map(async (t) => (await flooded.verify(ctx(t))) as { reason?: string }));
    assert.ok(results.every((r) => r.reason === 'unknown_kid'));
    assert.equal(flooded.fetches(), 1, 'only the initial JWKS load');
  });
});

describe('jwt provider config', () => {
  const deps = { apiName: 'a', operationId: undefined, scheme: 's', realm: 'r', baseDir: tmpdir(), store: new MemoryStore({ maxKeys: 10 }), securityScheme: undefined };
  test('HS256 for a JWKS issuer is a config error', () => {
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], jwksUri: 'https://a/jwks', algorithms: ['RS256', 'HS256'] }] }), deps), /algorithm confusion/);
  });
  test('a secret with public-key algorithms, no key source, two sources, or plain http to a remote host are config errors', () => {
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], secret: SECRET }] }), deps), /only HS256/);
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'] }] }), deps), /exactly one key source/);
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], jwksUri: 'https://a/j', keysFile: 'k.pem' }] }), deps), /exactly one key source/);
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], jwksUri: 'http://idp.example/jwks' }] }), deps), /must use https/);
  });
  test('a missing keys file or a private key file is a config error', () => {
    const d = mkdtempSync(join(tmpdir(), 'pcl-jwt-cfg-'));
    writeFileSync(join(d, 'private.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], keysFile: 'nope.pem' }] }), { ...deps, baseDir: d }), /cannot be read/);
    assert.throws(() => createJwtProvider(config({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], keysFile: 'private.pem' }] }), { ...deps, baseDir: d }), /private key/);
  });
  test('the schema refuses alg none and audiences missing', () => {
    const validate = compileSchema(JwtSchemeSchema);
    assert.equal(validate({ kind: 'jwt', issuers: [{ issuer: 'https://a', audiences: ['x'], jwksUri: 'https://a/j', algorithms: ['none'] }] }), false);
    assert.equal(validate({ kind: 'jwt', issuers: [{ issuer: 'https://a', jwksUri: 'https://a/j' }] }), false);
  });
});
