import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema } from '../../../config/ajv.js';
import { ApiKeyProviderSchema } from './api-key/index.js';
import { MtlsProviderSchema } from './mtls/index.js';
import { HttpSignatureProviderSchema } from './http-signature/index.js';
import { StepUpSchema } from './totp/index.js';

test('api-key: defaults applied; the pepper must be long; unknown keys refused', () => {
  const v = compileSchema(ApiKeyProviderSchema);
  const cfg: Record<string, unknown> = { kind: 'api-key', file: 'keys.yaml', pepper: 'p'.repeat(32) };
  assert.ok(v(cfg), JSON.stringify(v.errors));
  assert.equal(cfg.header, 'X-API-Key');
  assert.equal(cfg.allowQuery, false);
  assert.ok(!v({ kind: 'api-key', file: 'k', pepper: 'short' }));
  assert.ok(!v({ kind: 'api-key', file: 'k', pepper: 'p'.repeat(32), hedaer: 'x' }));
  assert.ok(!v({ kind: 'api-key', file: 'k', pepper: 'p'.repeat(32), realm: 'a"b' }));
});

test('mtls: defaults; rule fields are a closed set', () => {
  const v = compileSchema(MtlsProviderSchema);
  const cfg: Record<string, unknown> = { kind: 'mtls' };
  assert.ok(v(cfg), JSON.stringify(v.errors));
  assert.deepEqual(cfg.identity, ['san-uri', 'san-dns', 'subject-cn']);
  assert.ok(!v({ kind: 'mtls', rules: [{ field: 'issuer-cn', value: 'x' }] }));
});

test('http-signature: needs keys; algorithm is a closed set', () => {
  const v = compileSchema(HttpSignatureProviderSchema);
  const cfg: Record<string, unknown> = { kind: 'http-signature', keys: [{ keyid: 'k', alg: 'ed25519', publicKey: 'PEM', clientId: 'c' }] };
  assert.ok(v(cfg), JSON.stringify(v.errors));
  assert.equal(cfg.maxAgeSeconds, 300);
  assert.ok(!v({ kind: 'http-signature', keys: [] }));
  assert.ok(!v({ kind: 'http-signature', keys: [{ keyid: 'k', alg: 'rsa-v1_5-sha256', publicKey: 'PEM', clientId: 'c' }] }));
});

test('totp step-up: defaults; window bounded', () => {
  const v = compileSchema(StepUpSchema);
  const cfg: Record<string, unknown> = { file: 'totp.yaml' };
  assert.ok(v(cfg), JSON.stringify(v.errors));
  assert.equal(cfg.header, 'X-Portcullis-OTP');
  assert.equal(cfg.window, 1);
  assert.ok(!v({ file: 't', window: 5 }));
});
