import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCtx, makeDeps } from '../../../../../test/fixtures/authn-keys/context.js';
import { apiKeyRevocationKey, createApiKeyProvider } from './provider.js';
import { generateApiKey, hashSecret } from './key-format.js';
import { writeKeysFile, type KeyEntry } from './keys-file.js';
import type { ApiKeyProviderConfig } from './schema.js';

const PEPPER = 'p'.repeat(40);
const T0 = Date.parse('2026-01-01T00:00:00Z');

function setup(entries: (Partial<KeyEntry> & { secret?: string })[], cfg: Partial<ApiKeyProviderConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-apikey-'));
  const keys = entries.map((e) => {
    const g = generateApiKey();
    return { ...g, entry: { id: e.id ?? g.id, hash: hashSecret(PEPPER, g.secret), clientId: e.clientId ?? 'billing', scopes: e.scopes ?? ['read'], roles: e.roles ?? [], revoked: e.revoked ?? false, ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}), ...(e.allowedCidrs ? { allowedCidrs: e.allowedCidrs } : {}), ...(e.tier ? { tier: e.tier } : {}) } };
  });
  writeKeysFile(join(dir, 'keys.yaml'), { keys: keys.map((k) => k.entry) });
  let now = T0;
  const deps = makeDeps(dir);
  const config: ApiKeyProviderConfig = { kind: 'api-key', file: 'keys.yaml', pepper: PEPPER, header: 'X-API-Key', authorizationScheme: false, allowQuery: false, queryParams: ['api_key', 'apikey', 'key'], reloadCheckMs: 0, realm: 'portcullis', ...cfg };
  const provider = createApiKeyProvider('apiKey', config, deps, { now: () => now });
  return { dir, keys, deps, provider, setNow: (t: number) => { now = t; } };
}

test('a valid key yields the client principal with scopes, roles, keyId and tier', async () => {
  const { keys, provider } = setup([{ clientId: 'billing', scopes: ['read', 'write'], roles: ['svc'], tier: 'gold' }]);
  const r = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }));
  assert.equal(r.kind, 'ok');
  assert.ok(r.kind === 'ok');
  assert.deepEqual(r.principal, { id: 'billing', kind: 'api-key', scopes: ['read', 'write'], roles: ['svc'], claims: { keyId: keys[0]!.id, tier: 'gold' }, clientId: 'billing' });
  assert.equal(provider.kind, 'api-key');
  assert.equal(provider.challenge, 'ApiKey realm="portcullis"');
});

test('no key at all is absent, so another alternative may apply', async () => {
  const { provider } = setup([{}]);
  assert.deepEqual(await provider.verify(makeCtx({ headers: { authorization: 'Bearer x' } })), { kind: 'absent' });
  assert.deepEqual(await provider.verify(makeCtx({ query: 'key=innocent' })), { kind: 'absent' });
});

test('attack: the right id with a wrong secret fails', async () => {
  const { keys, provider } = setup([{}]);
  const forged = `pcl_${keys[0]!.id}_${'B'.repeat(43)}`;
  assert.deepEqual(await provider.verify(makeCtx({ headers: { 'x-api-key': forged } })), { kind: 'failed', reason: 'bad_secret', scheme: 'apiKey' });
});

test('attack: an unknown id and malformed keys fail', async () => {
  const { keys, provider } = setup([{}]);
  const r1 = await provider.verify(makeCtx({ headers: { 'x-api-key': `pcl_zzzzzzzzzzzz_${keys[0]!.secret}` } }));
  assert.equal(r1.kind === 'failed' && r1.reason, 'unknown_key');
  for (const bad of ['', 'pcl_', keys[0]!.secret, `pcl_${keys[0]!.id}`, `pcl_${keys[0]!.id}_short`, `pcl_../../x_${keys[0]!.secret}`, 'pcl_' + 'a'.repeat(100_000)]) {
    const r = await provider.verify(makeCtx({ headers: { 'x-api-key': bad } }));
    assert.equal(r.kind === 'failed' && r.reason, 'malformed', bad.slice(0, 30));
  }
});

test('attack: a key hashed with another pepper does not verify', async () => {
  const { dir, keys } = setup([{}]);
  const other = createApiKeyProvider('apiKey', { kind: 'api-key', file: 'keys.yaml', pepper: 'q'.repeat(40), header: 'X-API-Key', authorizationScheme: false, allowQuery: false, queryParams: [], reloadCheckMs: 0, realm: 'r' }, makeDeps(dir));
  const r = await other.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }));
  assert.equal(r.kind === 'failed' && r.reason, 'bad_secret');
});

test('a key revoked in the file or in the store fails', async () => {
  const { keys, provider, deps } = setup([{ revoked: true }, {}]);
  const r1 = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }));
  assert.equal(r1.kind === 'failed' && r1.reason, 'revoked');
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': keys[1]!.key } }))).kind, 'ok');
  await deps.store.set(apiKeyRevocationKey(keys[1]!.id), '1', 0);
  const r2 = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[1]!.key } }));
  assert.equal(r2.kind === 'failed' && r2.reason, 'revoked');
});

test('an expired key fails from its expiresAt on', async () => {
  const { keys, provider, setNow } = setup([{ expiresAt: new Date(T0 + 1000).toISOString() }]);
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }))).kind, 'ok');
  setNow(T0 + 1000);
  const r = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }));
  assert.equal(r.kind === 'failed' && r.reason, 'expired');
});

test('attack: a key used from outside its allowed CIDRs fails', async () => {
  const { keys, provider } = setup([{ allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] }]);
  const key = keys[0]!.key;
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': key }, client: { ip: '10.1.2.3' } }))).kind, 'ok');
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': key }, client: { ip: '2001:db8::5' } }))).kind, 'ok');
  const r = await provider.verify(makeCtx({ headers: { 'x-api-key': key }, client: { ip: '192.0.2.1' } }));
  assert.equal(r.kind === 'failed' && r.reason, 'cidr_not_allowed');
});

test('attack: a key in the query string is refused unless allowQuery', async () => {
  const { keys, provider, dir } = setup([{}]);
  const r = await provider.verify(makeCtx({ query: `api_key=${keys[0]!.key}` }));
  assert.equal(r.kind === 'failed' && r.reason, 'key_in_query');
  const allowed = createApiKeyProvider('apiKey', { kind: 'api-key', file: 'keys.yaml', pepper: PEPPER, header: 'X-API-Key', authorizationScheme: false, allowQuery: true, queryParams: ['api_key'], reloadCheckMs: 0, realm: 'r' }, makeDeps(dir));
  assert.equal((await allowed.verify(makeCtx({ query: `x=1&api_key=${keys[0]!.key}` }))).kind, 'ok');
});

test('attack: two keys (repeated header, header plus query) are refused, not guessed between', async () => {
  const { keys, provider } = setup([{}, { clientId: 'other' }]);
  const r1 = await provider.verify(makeCtx({ headers: { 'x-api-key': [keys[0]!.key, keys[1]!.key] } }));
  assert.equal(r1.kind === 'failed' && r1.reason, 'ambiguous_credentials');
  const r2 = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key }, query: `key=${keys[1]!.key}` }));
  assert.equal(r2.kind === 'failed' && r2.reason, 'ambiguous_credentials');
});

test('attack: a repeated X-API-Key as Node joins it ("k, k" or "k1, k2") is ambiguous_credentials, not malformed', async () => {
  const { keys, provider } = setup([{}, { clientId: 'other' }]);
  for (const joined of [`${keys[0]!.key}, ${keys[0]!.key}`, `${keys[0]!.key}, ${keys[1]!.key}`, `${keys[0]!.key},`]) {
    const r = await provider.verify(makeCtx({ headers: { 'x-api-key': joined } }));
    assert.equal(r.kind === 'failed' && r.reason, 'ambiguous_credentials', joined);
  }
});

test('custom header and Authorization: ApiKey when enabled', async () => {
  const { keys, provider } = setup([{}], { header: 'X-Client-Key', authorizationScheme: true });
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-client-key': keys[0]!.key } }))).kind, 'ok');
  assert.equal((await provider.verify(makeCtx({ headers: { authorization: `ApiKey ${keys[0]!.key}` } }))).kind, 'ok');
  assert.deepEqual(await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } })), { kind: 'absent' });
});

test('rotation: two active keys of one client both work; the keys file is reloaded without restart', async () => {
  const { keys, provider, dir } = setup([{ clientId: 'billing' }]);
  const fresh = generateApiKey();
  const entries: KeyEntry[] = [
    { id: keys[0]!.id, hash: hashSecret(PEPPER, keys[0]!.secret), clientId: 'billing', scopes: [], roles: [], revoked: false },
    { id: fresh.id, hash: hashSecret(PEPPER, fresh.secret), clientId: 'billing', scopes: [], roles: [], revoked: false },
  ];
  writeKeysFile(join(dir, 'keys.yaml'), { keys: entries });
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': fresh.key } }))).kind, 'ok');
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }))).kind, 'ok');
  entries[0] = { ...entries[0]!, revoked: true };
  writeKeysFile(join(dir, 'keys.yaml'), { keys: entries });
  const r = await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }));
  assert.equal(r.kind === 'failed' && r.reason, 'revoked');
});

test('a broken keys file on reload keeps the previous keys; a broken file at load fails the config', async () => {
  const { keys, provider, dir } = setup([{}]);
  writeFileSync(join(dir, 'keys.yaml'), 'keys: [ { id: 1');
  assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': keys[0]!.key } }))).kind, 'ok');
  assert.throws(() => createApiKeyProvider('apiKey', { kind: 'api-key', file: 'keys.yaml', pepper: PEPPER, header: 'X-API-Key', authorizationScheme: false, allowQuery: false, queryParams: [], reloadCheckMs: 0, realm: 'r' }, makeDeps(dir)));
  writeFileSync(join(dir, 'dup.yaml'), `keys:\n  - { id: abcdefgh1, hash: ${'A'.repeat(43)}, clientId: a }\n  - { id: abcdefgh1, hash: ${'A'.repeat(43)}, clientId: b }\n`);
  assert.throws(() => createApiKeyProvider('apiKey', { kind: 'api-key', file: 'dup.yaml', pepper: PEPPER, header: 'X-API-Key', authorizationScheme: false, allowQuery: false, queryParams: [], reloadCheckMs: 0, realm: 'r' }, makeDeps(dir)), /duplicate/);
});

test('attack: a stored hash in another spelling of the same bytes (padded, standard base64) never matches', async () => {
  const { dir, keys, deps } = setup([{}]);
  const k = keys[0]!;
  const canonical = hashSecret(PEPPER, k.secret);
  const bytes = Buffer.from(canonical, 'base64url');
  // The old text comparison refused these spellings; the byte comparison must too.
  for (const spelling of [`${canonical}=`, bytes.toString('base64'), `${canonical}AAAA`]) {
    if (spelling === canonical) continue;
    writeKeysFile(join(dir, 'keys.yaml'), { keys: [{ ...k.entry, hash: spelling }] });
    const config: ApiKeyProviderConfig = { kind: 'api-key', file: 'keys.yaml', pepper: PEPPER, header: 'X-API-Key', authorizationScheme: false, allowQuery: false, queryParams: [], reloadCheckMs: 0, realm: 'portcullis' };
    const provider = createApiKeyProvider('apiKey', config, deps, { now: () => T0 });
    assert.deepEqual(await provider.verify(makeCtx({ headers: { 'x-api-key': k.key } })), { kind: 'failed', reason: 'bad_secret', scheme: 'apiKey' }, spelling);
  }
});

test('the digest compared is the stored hash: hashSecret and the provider agree for many secrets', async () => {
  // A long check interval: the keys come from fresh(), without a promise.
  const { keys, provider } = setup([{}, {}, {}, {}, {}], { reloadCheckMs: 60_000 });
  for (const k of keys) assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': k.key } }))).kind, 'ok');
  for (const k of keys) {
    const wrong = `pcl_${k.id}_${k.secret.slice(0, -1)}${k.secret.endsWith('A') ? 'B' : 'A'}`;
    assert.equal((await provider.verify(makeCtx({ headers: { 'x-api-key': wrong } }))).kind, 'failed');
  }
});
