import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { Keyring } from '../../keyring/keyring.js';
import { decryptField, encryptField } from './jwe.js';

const key = randomBytes(32);
function ring(versions: [string, Buffer][], name = 'pii'): Keyring {
  const material = new Map(versions.map(([kid, k]) => [kid, new Uint8Array(k)]));
  const infos = versions.map(([kid], i) => ({ kid, version: versions.length - i, createdAt: undefined }));
  return new Keyring([{ info: { name, source: 'env', location: 'X', current: infos[0]!, versions: infos, rotationDays: undefined }, material }]);
}
const keyring = ring([['pii.v1', key]]);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** Replaces part `i` of a compact JWE. */
const withPart = (jwe: string, i: number, part: string) => jwe.split('.').map((p, j) => (j === i ? part : p)).join('.');

describe('compact JWE (dir, A256GCM) on node:crypto', () => {
  test('what it encrypts, jose (the reference) decrypts, with the header the format requires', async () => {
    for (const value of ['123-45-6789', 42, { nested: ['é', null, true] }, '']) {
      const jwe = encryptField(keyring, 'pii', value);
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      assert.deepEqual(JSON.parse(Buffer.from(plaintext).toString()), value);
      assert.deepEqual(protectedHeader, { alg: 'dir', enc: 'A256GCM', kid: 'pii.v1', cty: 'json' });
    }
  });

  test('what jose encrypts, it decrypts', async () => {
    const jwe = await new CompactEncrypt(Buffer.from(JSON.stringify({ card: '4111111111111111' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'pii.v1' }).encrypt(key);
    assert.deepEqual(decryptField(keyring, 'pii', jwe), { ok: true, value: { card: '4111111111111111' }, kid: 'pii.v1' });
  });

  test('a fresh IV per encryption: the same value twice gives two ciphertexts (GCM must never reuse an IV under one key)', () => {
    const a = encryptField(keyring, 'pii', 'same').split('.');
    const b = encryptField(keyring, 'pii', 'same').split('.');
    assert.notEqual(a[2], b[2]);
    assert.notEqual(a[3], b[3]);
    assert.equal(Buffer.from(a[2]!, 'base64url').length, 12);
  });

  test('attack: altered ciphertext, IV, tag or protected header (the AAD) does not decrypt', () => {
    const jwe = encryptField(keyring, 'pii', 'secret-value');
    const [head, , iv, ct, tag] = jwe.split('.') as string[];
    const flip = (part: string) => { const b = Buffer.from(part, 'base64url'); b[0] = b[0]! ^ 1; return b.toString('base64url'); };
    assert.deepEqual(decryptField(keyring, 'pii', withPart(jwe, 3, flip(ct!))), { ok: false, reason: 'tampered' });
    assert.deepEqual(decryptField(keyring, 'pii', withPart(jwe, 2, flip(iv!))), { ok: false, reason: 'tampered' });
    assert.deepEqual(decryptField(keyring, 'pii', withPart(jwe, 4, flip(tag!))), { ok: false, reason: 'tampered' });
    // Same meaning, other bytes: the header is authenticated as sent, so a re-encoded one fails.
    const reordered = b64({ enc: 'A256GCM', alg: 'dir', kid: 'pii.v1', cty: 'json' });
    assert.notEqual(reordered, head);
    assert.deepEqual(decryptField(keyring, 'pii', withPart(jwe, 0, reordered)), { ok: false, reason: 'tampered' });
  });

  test('attack: a truncated authentication tag is refused, not checked as a shorter tag', () => {
    const jwe = encryptField(keyring, 'pii', 'secret-value');
    const tag = Buffer.from(jwe.split('.')[4]!, 'base64url');
    for (const n of [4, 8, 12, 15]) {
      assert.deepEqual(decryptField(keyring, 'pii', withPart(jwe, 4, tag.subarray(0, n).toString('base64url'))), { ok: false, reason: 'tampered' }, `${n}-byte tag`);
    }
  });

  test('attack: other algorithms, critical or compression headers, unknown or foreign kids, and non-JWE shapes are refused', () => {
    const jwe = encryptField(keyring, 'pii', 'x');
    const header = (h: Record<string, unknown>) => withPart(jwe, 0, b64(h));
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'dir', enc: 'A128GCM', kid: 'pii.v1' })), { ok: false, reason: 'malformed' });
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'none', enc: 'A256GCM', kid: 'pii.v1' })), { ok: false, reason: 'malformed' });
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'dir', enc: 'A256GCM', kid: 'pii.v1', crit: ['exp'], exp: 1 })), { ok: false, reason: 'malformed' });
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'dir', enc: 'A256GCM', kid: 'pii.v1', zip: 'DEF' })), { ok: false, reason: 'malformed' });
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'dir', enc: 'A256GCM', kid: 'pii.v9' })), { ok: false, reason: 'unknown_kid' });
    assert.deepEqual(decryptField(keyring, 'pii', header({ alg: 'dir', enc: 'A256GCM' })), { ok: false, reason: 'unknown_kid' });
    const two = new Keyring([...['pii', 'hr'].map((name) => ({ info: { name, source: 'env' as const, location: 'X', current: { kid: `${name}.v1`, version: 1, createdAt: undefined }, versions: [{ kid: `${name}.v1`, version: 1, createdAt: undefined }], rotationDays: undefined }, material: new Map([[`${name}.v1`, new Uint8Array(randomBytes(32))]]) }))]);
    assert.deepEqual(decryptField(two, 'pii', encryptField(two, 'hr', 90_000)), { ok: false, reason: 'unknown_kid' });
    for (const bad of ['', 'a.b.c', `${jwe}.x`, withPart(jwe, 1, 'AAAA'), jwe.replace('.', '+'), withPart(jwe, 0, '!!!!')]) {
      assert.deepEqual(decryptField(keyring, 'pii', bad), { ok: false, reason: 'malformed' }, bad);
    }
  });

  test('a key version of the wrong size never throws: the field reads as tampered', () => {
    const jwe = encryptField(keyring, 'pii', 'x');
    assert.deepEqual(decryptField(ring([['pii.v1', randomBytes(16)]]), 'pii', jwe), { ok: false, reason: 'tampered' });
  });
});
