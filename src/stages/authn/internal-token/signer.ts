import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import type { Principal } from '../../../pipeline/context.js';
import { TokenCache } from '../token-cache.js';
import { publishKey } from './published-keys.js';
import type { InternalTokenConfig } from './schema.js';

/** Signs internal tokens for principals; one per distinct config, shared by every operation. */
export interface InternalTokenSigner {
  readonly header: string;
  /** The public key as a JWK (with kid, alg, use). */
  readonly jwk: JsonWebKey;
  sign(principal: Principal): Promise<string>;
}

const MAX_CACHED = 10_000;
const MAX_SIGNERS = 64;
const signers = new Map<string, InternalTokenSigner>();

/**
 * The signer of an `internalToken` config: built once per config (and base directory) and
 * kept, so every operation of an API, and a reload with the same config, use one key. Its
 * public key is published for the admin listener's JWKS.
 *
 * @example
 * const signer = internalTokenSigner(cfg.forward.internalToken, deps.baseDir);
 * ctx.upstreamHeaders[signer.header] = await signer.sign(principal);
 */
export function internalTokenSigner(cfg: InternalTokenConfig, baseDir: string): InternalTokenSigner {
  const id = `${baseDir}\u0000${JSON.stringify(cfg)}`;
  const existing = signers.get(id);
  if (existing !== undefined) return existing;
  const built = createSigner(cfg, baseDir);
  // Bounded like the other per-config caches: a long-lived process may see many configs.
  if (signers.size >= MAX_SIGNERS) signers.delete(signers.keys().next().value!);
  signers.set(id, built);
  publishKey(built.jwk);
  return built;
}

function createSigner(cfg: InternalTokenConfig, baseDir: string): InternalTokenSigner {
  const privateKey = loadKey(cfg, baseDir);
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = cfg.keyId ?? thumbprint({ kty, crv, x, y });
  const jwk: JsonWebKey = { kty, crv, x, ...(y === undefined ? {} : { y }), kid, alg: cfg.algorithm, use: 'sig' };
  const header = cfg.header.toLowerCase();
  // Signing per request costs more than the rest of authn on a cache hit: reuse a token for
  // the same principal facts while more than half of its lifetime is left.
  const cache = new TokenCache<string>(MAX_CACHED);
  const ttlMs = cfg.ttlSeconds * 1000;

  const sign = async (p: Principal): Promise<string> => {
    const claims = claimsOf(p, cfg);
    // The subject is part of the key: two principals with the same facts must never share a token.
    const key = JSON.stringify([p.id, claims]);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const now = Date.now();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: cfg.algorithm, kid, typ: 'JWT' })
      .setIssuer(cfg.issuer).setAudience(cfg.audience).setSubject(p.id)
      .setIssuedAt(Math.floor(now / 1000)).setExpirationTime(Math.floor((now + ttlMs) / 1000))
      .sign(privateKey);
    cache.set(key, token, now + ttlMs / 2);
    return token;
  };
  return { header, jwk, sign };
}

function loadKey(cfg: InternalTokenConfig, baseDir: string): KeyObject {
  const wanted = cfg.algorithm === 'EdDSA' ? 'ed25519' : 'ec';
  if (cfg.keyFile === undefined) {
    return cfg.algorithm === 'EdDSA' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  }
  // An inline PEM (e.g. from ${vault:...}) is never quoted in a message.
  const inline = cfg.keyFile.trimStart().startsWith('-----BEGIN ');
  const shown = inline ? '(inline PEM)' : cfg.keyFile;
  let key: KeyObject;
  try {
    key = createPrivateKey(inline ? cfg.keyFile : readFileSync(resolve(baseDir, cfg.keyFile)));
  } catch (err) {
    throw new Error(`internalToken.keyFile ${shown}: not a readable PEM private key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== wanted || (wanted === 'ec' && curve !== 'prime256v1')) {
    throw new Error(`internalToken.keyFile ${shown}: a ${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` (${curve})`} key cannot sign ${cfg.algorithm} (needs ${cfg.algorithm === 'EdDSA' ? 'Ed25519' : 'EC P-256'})`);
  }
  return key;
}

/** The principal facts the config asks for, in a fixed order (the cache key depends on it). */
function claimsOf(p: Principal, cfg: InternalTokenConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fact of cfg.include) {
    if (fact === 'scopes') out.scope = p.scopes.join(' ');
    else if (fact === 'roles') out.roles = [...p.roles];
    else if (fact === 'clientId' && p.clientId !== undefined) out.client_id = p.clientId;
    else if (fact === 'kind') out.auth_kind = p.kind;
    else if (fact === 'issuer' && p.issuer !== undefined) out.auth_iss = p.issuer;
  }
  for (const name of cfg.claims) if (p.claims[name] !== undefined) out[name] = p.claims[name];
  return out;
}

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
function thumbprint(k: { kty?: string | undefined; crv?: string | undefined; x?: string | undefined; y?: string | undefined }): string {
  const json = k.kty === 'EC' ? `{"crv":"${k.crv}","kty":"EC","x":"${k.x}","y":"${k.y}"}` : `{"crv":"${k.crv}","kty":"${k.kty}","x":"${k.x}"}`;
  return createHash('sha256').update(json).digest('base64url');
}
