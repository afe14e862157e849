import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// A per-process key: digests of secrets never leave the process and cannot be precomputed.
const KEY = randomBytes(32);

/**
 * Compares two strings in time that depends on neither their content nor their lengths.
 * Both sides are reduced to HMAC-SHA-256 digests of equal size first, because
 * `crypto.timingSafeEqual` throws on a length mismatch and an early length check
 * would tell an attacker how long the secret is.
 *
 * @example
 * if (!timingSafeEqualString(presentedKey, storedKey)) throw new GatewayError(...);
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const da = createHmac('sha256', KEY).update(a, 'utf8').digest();
  const db = createHmac('sha256', KEY).update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
