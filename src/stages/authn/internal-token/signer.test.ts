import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Principal } from '../../../pipeline/context.js';
import { internalTokenJwks } from './published-keys.js';
import { InternalTokenSchema, type InternalTokenConfig } from './schema.js';
import { internalTokenSigner } from './signer.js';

const cfg = (extra: Record<string, unknown>): InternalTokenConfig => Value.Default(InternalTokenSchema, { audience: 'up', ...extra }) as InternalTokenConfig;
const alice: Principal = { id: 'alice', kind: 'jwt', issuer: 'https://idp', scopes: ['a', 'b'], roles: ['admin'], claims: { tenant_id: 't1', sub: 'alice' }, clientId: 'app' };

test('a token per principal, reused while fresh; its key is published with the thumbprint as kid', async () => {
  const signer = internalTokenSigner(cfg({ claims: ['tenant_id'] }), tmpdir());
  const first = await signer.sign(alice);
  assert.equal(await signer.sign(alice), first, 'same principal facts: the cached token');
  const bob = await signer.sign({ ...alice, id: 'bob' });
  assert.equal(decodeJwt(bob).sub, 'bob', 'another principal with the same facts never gets alice\'s token');
  const header = decodeProtectedHeader(first);
  assert.equal(header.alg, 'EdDSA');
  assert.ok(internalTokenJwks().keys.some((k) => k.kid === header.kid && k.crv === 'Ed25519' && (k as { d?: string }).d === undefined), 'public key only');
  const claims = decodeJwt(first);
  assert.deepEqual({ ...claims, iat: 0, exp: 0 }, { scope: 'a b', roles: ['admin'], client_id: 'app', auth_kind: 'jwt', auth_iss: 'https://idp', tenant_id: 't1', iss: 'portcullis', aud: 'up', sub: 'alice', iat: 0, exp: 0 });
  assert.equal(internalTokenSigner(cfg({ claims: ['tenant_id'] }), tmpdir()), signer, 'one signer (one key) per config');
});

test('a key file of the wrong type, or unreadable, is a config error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-internal-'));
  writeFileSync(join(dir, 'ed.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'p384.pem'), generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.throws(() => internalTokenSigner(cfg({ algorithm: 'ES256', keyFile: 'ed.pem' }), dir), /ed25519 key cannot sign ES256/);
  assert.throws(() => internalTokenSigner(cfg({ algorithm: 'ES256', keyFile: 'p384.pem' }), dir), /secp384r1\) key cannot sign ES256/);
  assert.throws(() => internalTokenSigner(cfg({ keyFile: 'missing.pem' }), dir), /not a readable PEM private key/);
  assert.equal(internalTokenSigner(cfg({ keyFile: 'ed.pem' }), dir).jwk.crv, 'Ed25519');
});

test('registered claims cannot be copied', () => {
  assert.equal(Value.Check(InternalTokenSchema, cfg({ claims: ['sub'] })), false);
  assert.equal(Value.Check(InternalTokenSchema, cfg({ claims: ['subject'] })), true);
});
