import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** A local token issuer: an ES256 key, its JWKS (for a `keysFile`), and a signer. */
export interface LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The JWKS document as JSON text. */
  readonly jwks: string;
  /** A token for `sub` with these extra claims, valid for ten minutes. */
  sign(sub: string, claims?: Record<string, unknown>): Promise<string>;
}

/**
 * Creates a local issuer for e2e tests whose gateway reads the JWKS from a file.
 *
 * @example
 * const idp = await localIssuer('https://idp.example', 'my-api');
 * const token = await idp.sign('alice', { roles: ['user'] });
 */
export async function localIssuer(issuer: string, audience: string): Promise<LocalIssuer> {
  const key = await generateKeyPair('ES256', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...await exportJWK(key.publicKey), kid: 'local-1', alg: 'ES256', use: 'sig' }] });
  return {
    issuer,
    audience,
    jwks,
    sign: (sub, claims = {}) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'local-1' })
      .setIssuer(issuer).setAudience(audience).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(key.privateKey),
  };
}
