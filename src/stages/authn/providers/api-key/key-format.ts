import { createHmac, randomBytes } from 'node:crypto';

/** Every key starts with this, so secret scanners and humans recognise it. */
export const KEY_PREFIX = 'pcl_';
const ID_RE = /^[A-Za-z0-9]{8,64}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43,256}$/;
// Longer input is refused before any work: prefix + 64-char id + separator + 256-char secret.
const MAX_KEY_LENGTH = 4 + 64 + 1 + 256;

/** A presented key split into its public id and its secret. */
export interface ParsedKey {
  readonly id: string;
  readonly secret: string;
}

/**
 * Splits `pcl_<id>_<secret>`. The id is public (identification first, per OWASP): it is looked
 * up, and only then is the secret compared. Returns undefined for anything not of that shape.
 *
 * @example
 * parseApiKey('pcl_k1a2b3c4d5_' + 'A'.repeat(43)); // { id: 'k1a2b3c4d5', secret: 'AAA…' }
 */
export function parseApiKey(key: string): ParsedKey | undefined {
  if (key.length > MAX_KEY_LENGTH || !key.startsWith(KEY_PREFIX)) return undefined;
  const sep = key.indexOf('_', KEY_PREFIX.length);
  if (sep === -1) return undefined;
  const id = key.slice(KEY_PREFIX.length, sep);
  const secret = key.slice(sep + 1);
  if (!ID_RE.test(id) || !SECRET_RE.test(secret)) return undefined;
  return { id, secret };
}

/**
 * The stored form of a secret: HMAC-SHA-256 keyed with the server pepper, base64url. A leaked
 * keys file alone does not allow an offline guess because the pepper lives elsewhere (env).
 *
 * @example
 * const hash = hashSecret(pepper, secret);
 */
export function hashSecret(pepper: string, secret: string): string {
  return secretDigest(pepper, secret).toString('base64url');
}

/** The 32 bytes {@link hashSecret} encodes. */
export function secretDigest(pepper: string, secret: string): Buffer {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest();
}

/** A fresh key: a 16-character public id and a 32-byte random secret. */
export interface GeneratedKey {
  readonly id: string;
  readonly secret: string;
  /** The full key to hand to the client: shown once, never stored. */
  readonly key: string;
}

/**
 * Generates a new key with a random id and a 256-bit secret.
 *
 * @example
 * const { id, key } = generateApiKey(); // key = 'pcl_<id>_<secret>'
 */
export function generateApiKey(): GeneratedKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${KEY_PREFIX}${id}_${secret}` };
}
