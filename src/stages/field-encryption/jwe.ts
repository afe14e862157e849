import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from '../../keyring/keyring.js';

// Compact JWE, `alg: dir`, `enc: A256GCM` (RFC 7516 §7.1, RFC 7518 §4.5 and §5.3), written on
// node:crypto rather than jose: jose runs on WebCrypto, whose every call is asynchronous (a trip
// through the thread pool and a promise), which made one encrypted field cost ~200 µs per request
// in bench/chain.ts and forced the stage's phases to go asynchronous. For `dir` + AES-GCM the
// format is five base64url parts and one AEAD call; jose stays the reference the tests decrypt
// against (jwe.test.ts).

/** Shape of a `dir` JWE compact serialisation: the encrypted-key part is empty. */
const DIR_JWE = /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const decoder = new TextDecoder('utf-8', { fatal: true });
/** AES-GCM's 96-bit IV and the full 128-bit tag: shorter tags are refused, not accepted as truncated. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

// The protected header per key version, encoded once (it is the AEAD's additional data too).
const headers = new WeakMap<Uint8Array, string>();
function protectedHeader(kid: string, key: Uint8Array): string {
  let h = headers.get(key);
  if (h === undefined) {
    h = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid, cty: 'json' })).toString('base64url');
    headers.set(key, h);
  }
  return h;
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
 * under the current version of the keyring key `name`, with a fresh random 96-bit IV. The
 * plaintext is the value's JSON, so numbers, objects and strings come back as they were.
 *
 * @example
 * const jwe = encryptField(keyring, 'customer-pii', '123-45-6789');
 */
export function encryptField(keyring: Keyring, name: string, value: unknown): string {
  const { kid, key } = keyring.current(name);
  const header = protectedHeader(kid, key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header, 'latin1'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final()]);
  return `${header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

function decodeHeader(part: string): Record<string, unknown> | undefined {
  try {
    const h: unknown = JSON.parse(decoder.decode(Buffer.from(part, 'base64url')));
    return typeof h === 'object' && h !== null && !Array.isArray(h) ? h as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decrypts a field encrypted by {@link encryptField} (or any compact `dir`/A256GCM JWE with a
 * known kid) with any version of the key `name` still in the keyring (old kids keep decrypting).
 * A kid of another key is refused: a stage configured with one key never decrypts data of
 * another. Headers this code does not understand (`crit`, `zip`) are refused. Never throws.
 *
 * @example
 * const r = decryptField(keyring, 'customer-pii', jwe);
 * if (r.ok) use(r.value);
 */
export function decryptField(keyring: Keyring, name: string, jwe: string): Decrypted {
  if (!isDirJwe(jwe)) return { ok: false, reason: 'malformed' };
  const [head, , ivPart, ctPart, tagPart] = jwe.split('.') as [string, string, string, string, string];
  const header = decodeHeader(head);
  if (header === undefined || header['alg'] !== 'dir' || header['enc'] !== 'A256GCM' || 'crit' in header || 'zip' in header) return { ok: false, reason: 'malformed' };
  const kid = header['kid'];
  const material = typeof kid === 'string' ? keyring.byKid(kid) : undefined;
  if (material === undefined || material.name !== name) return { ok: false, reason: 'unknown_kid' };
  try {
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return { ok: false, reason: 'tampered' };
    const decipher = createDecipheriv('aes-256-gcm', material.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(head, 'latin1'));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ctPart, 'base64url')), decipher.final()]);
    return { ok: true, value: JSON.parse(decoder.decode(plaintext)), kid: material.kid };
  } catch {
    // A failed tag check, a key of the wrong size or a plaintext that is not JSON: the ciphertext was altered or forged.
    return { ok: false, reason: 'tampered' };
  }
}
