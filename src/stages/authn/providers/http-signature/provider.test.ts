import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { makeCtx, makeDeps } from '../../../../../test/fixtures/authn-keys/context.js';
import { B25_HMAC, B26_ED25519, B2_REQUEST, TEST_KEY_ED25519_PRIVATE, TEST_KEY_ED25519_PUBLIC, TEST_SHARED_SECRET } from '../../../../../test/fixtures/authn-keys/rfc9421.js';
import { signRequest, type TestSigner } from '../../../../../test/fixtures/authn-keys/sign.js';
import { createHttpSignatureProvider } from './provider.js';
import { signatureBase } from './signature-base.js';
import { parseDictionary, type InnerList } from './structured-fields.js';
import { compileSignatureKey } from './verify.js';
import { checkContentDigest } from './content-digest.js';
import type { HttpSignatureProviderConfig, SignatureKeyConfig } from './schema.js';
import type { VerifyResult } from '../../provider.js';

const reason = (r: VerifyResult) => (r.kind === 'failed' ? r.reason : r.kind);
const b2ctx = (extra: IncomingHttpHeaders = {}) => makeCtx({ method: B2_REQUEST.method, path: B2_REQUEST.path, query: B2_REQUEST.query, headers: { ...B2_REQUEST.headers, ...extra }, client: { host: B2_REQUEST.host, proto: 'https' }, body: Buffer.from(B2_REQUEST.body) });

test('RFC 9421 B.2.5 (hmac-sha256): our signature base matches the RFC and its signature verifies', () => {
  const ctx = b2ctx();
  const input = parseDictionary(B25_HMAC.signatureInput).get('sig-b25') as InnerList;
  assert.equal(signatureBase(ctx, input), B25_HMAC.base);
  const key = compileSignatureKey({ keyid: 'test-shared-secret', alg: 'hmac-sha256', secret: TEST_SHARED_SECRET, clientId: 'c', scopes: [], roles: [] });
  const sig = parseDictionary(B25_HMAC.signature).get('sig-b25')!;
  assert.ok(key.verify(Buffer.from(signatureBase(ctx, input)!), (sig as { value: { bytes: Buffer } }).value.bytes));
  // Every byte of the MAC counts: the RFC's signature with its first or last byte changed fails.
  const bytes = (sig as { value: { bytes: Buffer } }).value.bytes;
  for (const i of [0, bytes.length - 1]) {
    const forged = Buffer.from(bytes);
    forged[i] = forged[i]! ^ 1;
    assert.equal(key.verify(Buffer.from(signatureBase(ctx, input)!), forged), false, `byte ${i}`);
  }
  assert.equal(key.verify(Buffer.from(signatureBase(ctx, input)!), bytes.subarray(0, 16)), false, 'a truncated MAC');
});

test('RFC 9421 B.2.6 (ed25519) verifies; and the default policy still refuses it (no @query, no content-digest)', async () => {
  const keys: SignatureKeyConfig[] = [{ keyid: 'test-key-ed25519', alg: 'ed25519', publicKey: TEST_KEY_ED25519_PUBLIC, clientId: 'rfc', scopes: [], roles: [] }];
  const ctx = b2ctx({ 'signature-input': B26_ED25519.signatureInput, signature: B26_ED25519.signature });
  const input = parseDictionary(B26_ED25519.signatureInput).get('sig-b26') as InnerList;
  const sig = parseDictionary(B26_ED25519.signature).get('sig-b26') as { value: { bytes: Buffer } };
  assert.ok(compileSignatureKey(keys[0]!).verify(Buffer.from(signatureBase(ctx, input)!), sig.value.bytes));
  const p = createHttpSignatureProvider('sig', cfg(keys), makeDeps('/'), { now: () => B2_REQUEST.created * 1000 });
  assert.equal(reason(await p.verify(ctx)), 'missing_components');
});

test('RFC 9530: the B.2 Content-Digest matches its body', () => {
  assert.equal(checkContentDigest(B2_REQUEST.headers['content-digest'], Buffer.from(B2_REQUEST.body)), 'ok');
  assert.equal(checkContentDigest(B2_REQUEST.headers['content-digest'], Buffer.from('{"hello": "World"}')), 'mismatch');
  assert.equal(checkContentDigest('md5=:AAAA:', Buffer.alloc(0)), 'no_supported_algorithm');
  assert.equal(checkContentDigest('sha-256=("x")', Buffer.alloc(0)), 'malformed');
});

const T = 1_800_000_000;
function cfg(keys: SignatureKeyConfig[], over: Partial<HttpSignatureProviderConfig> = {}): HttpSignatureProviderConfig {
  return { kind: 'http-signature', keys, requiredComponents: [], requireContentDigest: true, maxAgeSeconds: 300, clockSkewSeconds: 5, requireNonce: false, realm: 'portcullis', ...over };
}
const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const hmac = randomBytes(32);
const KEYS: SignatureKeyConfig[] = [
  { keyid: 'ed', alg: 'ed25519', publicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientId: 'robot-ed', scopes: ['a'], roles: [] },
  { keyid: 'ec', alg: 'ecdsa-p256-sha256', publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientId: 'robot-ec', scopes: [], roles: [] },
  { keyid: 'rsa', alg: 'rsa-pss-sha512', publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientId: 'robot-rsa', scopes: [], roles: [] },
  { keyid: 'mac', alg: 'hmac-sha256', secret: hmac.toString('base64'), clientId: 'robot-mac', scopes: [], roles: ['m'] },
];
const SIGNERS: Record<string, TestSigner> = {
  ed: { alg: 'ed25519', key: ed.privateKey },
  ec: { alg: 'ecdsa-p256-sha256', key: ec.privateKey },
  rsa: { alg: 'rsa-pss-sha512', key: rsa.privateKey },
  mac: { alg: 'hmac-sha256', secret: hmac },
};

const BODY = '{"amount":100}';
const digest = (b: string) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;
function post(body = BODY) {
  return makeCtx({ method: 'POST', path: '/transfers', query: 'dry=1', headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'content-digest': digest(body) }, client: { host: 'api.example', proto: 'https' }, body: Buffer.from(body) });
}
function signed(keyid: string, params: Record<string, string | number> = {}, components = ['@method', '@target-uri', 'content-digest', 'content-type']) {
  const ctx = post();
  const h = signRequest(ctx, components, { created: T, keyid, ...params }, SIGNERS[keyid]!);
  return makeCtx({ method: ctx.method, path: ctx.path, query: ctx.query, headers: { ...ctx.headers, ...h }, client: ctx.client, body: ctx.body });
}
function provider(over: Partial<HttpSignatureProviderConfig> = {}, now = T * 1000) {
  const deps = makeDeps('/');
  return { deps, p: createHttpSignatureProvider('signed', cfg(KEYS, over), deps, { now: () => now }) };
}

test('each algorithm verifies a signed POST and yields the key\'s principal; the body digest then checks', async () => {
  const { p } = provider();
  for (const keyid of ['ed', 'ec', 'rsa', 'mac']) {
    const ctx = signed(keyid);
    const r = await p.verify(ctx);
    assert.ok(r.kind === 'ok', `${keyid}: ${JSON.stringify(r)}`);
    assert.equal(r.principal.id, KEYS.find((k) => k.keyid === keyid)!.clientId);
    assert.equal(r.principal.kind, 'http-signature');
    ctx.principal = r.principal;
    assert.equal(p.verifyBody(ctx).kind, 'ok');
  }
  assert.equal(p.needsRequestBody, true);
});

test('@authority + @path + @query is an accepted alternative to @target-uri', async () => {
  const { p } = provider();
  assert.equal((await p.verify(signed('ed', {}, ['@method', '@authority', '@path', '@query', 'content-digest']))).kind, 'ok');
  assert.equal(reason(await p.verify(signed('ed', {}, ['@method', '@authority', '@path', 'content-digest']))), 'missing_components');
});

test('attack: a tampered body fails the digest check after a valid signature', async () => {
  const { p } = provider();
  const ctx = signed('ed');
  const r = await p.verify(ctx);
  assert.ok(r.kind === 'ok');
  ctx.principal = r.principal;
  ctx.body = Buffer.from('{"amount":100000}');
  assert.equal(reason(p.verifyBody(ctx)), 'digest_mismatch');
});

test('attack: a swapped Content-Digest header breaks the signature', async () => {
  const { p } = provider();
  const ctx = signed('ed');
  (ctx.headers as Record<string, string>)['content-digest'] = digest('{"amount":100000}');
  assert.equal(reason(await p.verify(ctx)), 'bad_signature');
});

test('attack: a body without a signed content-digest is refused', async () => {
  const { p } = provider();
  assert.equal(reason(await p.verify(signed('ed', {}, ['@method', '@target-uri']))), 'digest_not_covered');
});

test('attack: stale created, created in the future, past expires', async () => {
  assert.equal(reason(await provider({}, (T + 301) * 1000).p.verify(signed('ed'))), 'stale');
  assert.equal(reason(await provider({}, (T - 60) * 1000).p.verify(signed('ed'))), 'future');
  assert.equal(reason(await provider({}, (T + 20) * 1000).p.verify(signed('ed', { expires: T + 10 }))), 'expired');
  assert.equal((await provider({}, (T + 20) * 1000).p.verify(signed('ed', { expires: T + 30 }))).kind, 'ok');
});

test('attack: a replayed nonce fails; requireNonce refuses signatures without one', async () => {
  const { p } = provider();
  const ctx = signed('ed', { nonce: 'n-123' });
  assert.equal((await p.verify(ctx)).kind, 'ok');
  assert.equal(reason(await p.verify(ctx)), 'replayed');
  assert.equal(reason(await provider({ requireNonce: true }).p.verify(signed('ed'))), 'nonce_missing');
});

test('attack: alg in the request must agree with the key; unknown keyid; signature by another key', async () => {
  const { p } = provider();
  assert.equal(reason(await p.verify(signed('mac', { alg: 'ed25519' }))), 'alg_mismatch');
  const ctx = signed('ed');
  const other = makeCtx({ method: ctx.method, path: ctx.path, query: ctx.query, headers: { ...ctx.headers, 'signature-input': String(ctx.headers['signature-input']).replace('keyid="ed"', 'keyid="nope"') }, client: ctx.client });
  assert.equal(reason(await p.verify(other)), 'unknown_key');
  // An ed25519 signature presented under the ECDSA key id.
  const ec = signed('ed');
  const swapped = makeCtx({ method: ec.method, path: ec.path, query: ec.query, headers: { ...ec.headers, 'signature-input': String(ec.headers['signature-input']).replace('keyid="ed"', 'keyid="ec"') }, client: ec.client });
  assert.equal(reason(await p.verify(swapped)), 'bad_signature');
});

test('attack: a request changed after signing (method, path, query) fails', async () => {
  const { p } = provider();
  const ctx = signed('ed');
  for (const change of [{ method: 'PUT' }, { path: '/admin' }, { query: 'dry=0' }]) {
    const c = makeCtx({ method: ctx.method, path: ctx.path, query: ctx.query, headers: ctx.headers, client: ctx.client, ...change });
    assert.equal(reason(await p.verify(c)), 'bad_signature', JSON.stringify(change));
  }
});

test('malformed headers fail; no signature headers is absent', async () => {
  const { p } = provider();
  assert.deepEqual(await p.verify(post()), { kind: 'absent' });
  for (const [input, sig] of [['sig1=("@method"', 'sig1=:AA==:'], ['sig1=("@method");created=1', 'sig1=AA'], ['sig1="x"', 'sig1=:AA==:'], ['', 'sig1=:AA==:']]) {
    const r = await p.verify(makeCtx({ headers: { 'signature-input': input!, signature: sig! } }));
    assert.equal(r.kind, 'failed', `${input} / ${sig}`);
  }
  assert.equal(reason(await p.verify(makeCtx({ headers: { signature: 'sig1=:AA==:' } }))), 'malformed');
});

test('config: key material must fit the algorithm', () => {
  assert.throws(() => compileSignatureKey({ ...KEYS[0]!, alg: 'ecdsa-p256-sha256' }), /not a ecdsa-p256-sha256 key/);
  assert.throws(() => compileSignatureKey({ keyid: 'm', alg: 'hmac-sha256', secret: 'c2hvcnQ=', clientId: 'c', scopes: [], roles: [] }), /32 bytes/);
  assert.ok(createPrivateKey(TEST_KEY_ED25519_PRIVATE));
});
