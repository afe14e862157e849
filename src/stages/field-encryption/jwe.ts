import { webcrypto } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import type { Keyring } from '../../keyring/keyring.js';

/** Shape of a `dir` JWE compact serialisation: the encrypted-key part is empty. */
const DIR_JWE = /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// A WebCrypto key per key version, imported once: handed raw bytes (or a KeyObject), jose
// imports the key again on every call, which profiles as the larger part of a field's cost.
const cryptoKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();
function cryptoKey(bytes: Uint8Array): Promise<webcrypto.CryptoKey> {
  let k = cryptoKeys.get(bytes);
  if (k === undefined) {
    k = webcrypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    cryptoKeys.set(bytes, k);
  }
  return k;
}

/** Why a field did not decrypt (the reason of a `data.decrypt_failed` event). */
export type DecryptFailure = 'malformed' | 'unknown_kid' | 'tampered';

/** The outcome of decrypting one field value. */
export type Decrypted = { readonly ok: true; readonly value: unknown; readonly kid: string } | { readonly ok: false; readonly reason: DecryptFailure };

/**
 * True when `value` looks like a compact JWE with direct encryption (five parts, empty key part).
 *
 * @example
 * isDirJwe('eyJhbGciOiJkaXIi...'); // true
 */
export function isDirJwe(value: unknown): value is string {
  return typeof value === 'string' && value.length < 1_048_576 && DIR_JWE.test(value);
}

/**
 * Encrypts a JSON value as a compact JWE (`alg: dir`, `enc: A256GCM`, `kid`, `cty: json`)
 * under the current version of the keyring key `name`. The plaintext is the value's JSON, so
 * numbers, objects and strings come back as they were.
 *
 * @example
 * const jwe = await encryptField(keyring, 'customer-pii', '123-45-6789');
 */
export async function encryptField(keyring: Keyring, name: string, value: unknown): Promise<string> {
  const { kid, key } = keyring.current(name);
  return new CompactEncrypt(encoder.encode(JSON.stringify(value)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, cty: 'json' })
    .encrypt(await cryptoKey(key));
}

/**
 * Decrypts a field encrypted by {@link encryptField} with any version of the key `name` still in
 * the keyring (old kids keep decrypting). A kid of another key is refused: a stage configured with
 * one key never decrypts data of another. Never throws.
 *
 * @example
 * const r = await decryptField(keyring, 'customer-pii', jwe);
 * if (r.ok) use(r.value);
 */
export async function decryptField(keyring: Keyring, name: string, jwe: string): Promise<Decrypted> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(jwe);
    if (header.alg !== 'dir' || header.enc !== 'A256GCM') return { ok: false, reason: 'malformed' };
    kid = header.kid;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const material = typeof kid === 'string' ? keyring.byKid(kid) : undefined;
  if (material === undefined || material.name !== name) return { ok: false, reason: 'unknown_kid' };
  try {
    const { plaintext } = await compactDecrypt(jwe, await cryptoKey(material.key), { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return { ok: true, value: JSON.parse(decoder.decode(plaintext)), kid: material.kid };
  } catch {
    // A failed tag check, a bad IV or a plaintext that is not JSON: the ciphertext was altered or forged.
    return { ok: false, reason: 'tampered' };
  }
}
