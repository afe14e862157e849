import type { JsonWebKey } from 'node:crypto';

// Keys of every internal-token signer this process has built, newest last, bounded: an old
// key stays published for a while after a reload so tokens it signed still verify.
const MAX_KEYS = 16;
const keys: JsonWebKey[] = [];

/** Adds a public key to the gateway's JWKS. */
export function publishKey(jwk: JsonWebKey): void {
  const at = keys.findIndex((k) => k.kid === jwk.kid);
  if (at >= 0) keys.splice(at, 1);
  keys.push(jwk);
  if (keys.length > MAX_KEYS) keys.shift();
}

/**
 * The JWKS upstreams verify internal tokens with (served on the admin listener at
 * `/.well-known/jwks.json`).
 *
 * @example
 * sendJson(res, 200, internalTokenJwks());
 */
export function internalTokenJwks(): { keys: JsonWebKey[] } {
  return { keys: [...keys] };
}
