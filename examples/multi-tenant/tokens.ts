import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { findPackageRoot } from '../../src/util/package-root.js';

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
 * Creates a local issuer whose JWKS the gateway reads from a file (`keysFile`): the example's
 * stand-in for an IdP, and the e2e tests' token source.
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

// As a script: writes jwks.json beside portcullis.yaml and prints a token per demo user.
//   node dist/examples/multi-tenant/tokens.js
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = join(findPackageRoot(import.meta.url), 'examples', 'multi-tenant');
  const idp = await localIssuer('https://idp.notes.example', 'notes-api');
  writeFileSync(join(dir, 'jwks.json'), idp.jwks);
  const users: [string, Record<string, unknown>][] = [
    ['alice', { tenant: 'acme', roles: ['user'] }],
    ['bob', { tenant: 'acme', roles: ['user'] }],
    ['root', { tenant: 'acme', roles: ['admin'], mfa: true }],
    ['gina', { tenant: 'globex', roles: ['user'] }],
  ];
  console.log(`wrote ${join(dir, 'jwks.json')}; tokens (valid 10 minutes):`);
  for (const [sub, claims] of users) console.log(`${sub.padEnd(6)} ${await idp.sign(sub, claims)}`);
}
