import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { publishSecurityEvent } from '../../../../observability/channels.js';

/** Why a published key can never verify a token: too weak to trust, or not a public signing key we know. */
export interface KeyRejection {
  readonly reason: 'weak_key' | 'unsupported_key';
  /** What is wrong with it, e.g. `RSA key of 1024 bits` (no key material). */
  readonly detail: string;
}

/** Smallest RSA modulus accepted, as jose and NIST SP 800-131A require. */
export const MIN_RSA_BITS = 2048;

const CURVES: Readonly<Record<string, ReadonlySet<string>>> = {
  EC: new Set(['P-256', 'P-384', 'P-521', 'secp256k1']),
  OKP: new Set(['Ed25519', 'Ed448']),
};
const SIGNING_ALGS = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'Ed25519', 'Ed448',
]);

/** Bits of an RSA modulus given as base64url (leading zero bits excluded). */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i += 1;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

/**
 * Says why a JWK of a verification key set would never verify a token, or undefined when it is
 * usable. Keys for another use (`use: enc`, no `verify` op) are not errors and are not judged here.
 *
 * @example
 * classifyJwk({ kty: 'RSA', kid: 'old', n: '...1024 bits...', e: 'AQAB' }); // { reason: 'weak_key', ... }
 */
export function classifyJwk(k: JWK): KeyRejection | undefined {
  if (k.d !== undefined) return { reason: 'unsupported_key', detail: 'a private key (has "d"); publish the public key only' };
  if (k.kty === 'oct') return { reason: 'unsupported_key', detail: 'a symmetric ("oct") key in a public key set' };
  if (k.kty !== 'RSA' && CURVES[k.kty ?? ''] === undefined) return { reason: 'unsupported_key', detail: `unknown key type ${JSON.stringify(k.kty)}` };
  if (k.alg !== undefined && !SIGNING_ALGS.has(k.alg)) return { reason: 'unsupported_key', detail: `unsupported algorithm ${JSON.stringify(k.alg)}` };
  if (k.kty === 'RSA') {
    const bits = typeof k.n === 'string' ? modulusBits(k.n) : 0;
    if (bits < MIN_RSA_BITS) return { reason: 'weak_key', detail: `RSA key of ${bits} bits (at least ${MIN_RSA_BITS})` };
  } else if (!CURVES[k.kty!]!.has(k.crv ?? '')) {
    return { reason: 'unsupported_key', detail: `unsupported curve ${JSON.stringify(k.crv)} for ${k.kty}` };
  }
  return undefined;
}

/** The same judgement for a PEM public key or certificate's key; undefined when usable. */
export function classifyKeyObject(key: KeyObject): KeyRejection | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = d?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { reason: 'weak_key', detail: `RSA key of ${bits} bits (at least ${MIN_RSA_BITS})` };
  } else if (!['ec', 'ed25519', 'ed448'].includes(key.asymmetricKeyType ?? '')) {
    return { reason: 'unsupported_key', detail: `unsupported key type ${JSON.stringify(key.asymmetricKeyType)}` };
  }
  return undefined;
}

/**
 * Publishes a `key.rejected` security event for a key that can never verify (severity medium:
 * tokens under it will fail, which the operator should know before users do). The source (file
 * path or JWKS URL) and the kid go in the excerpt; never key material.
 */
export function reportRejectedKey(where: string, kid: string | undefined, r: KeyRejection): void {
  publishSecurityEvent(() => ({
    kind: 'key.rejected', reason: r.reason, requestId: '', api: '', operationId: undefined, client: '',
    severity: 'medium', stage: 'authn', excerpt: `${where}: kid ${kid === undefined ? '(none)' : JSON.stringify(kid)}: ${r.detail}`,
  }));
}
