import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Principal, RequestContext } from '../../../../pipeline/context.js';
import { bearerToken } from '../../bearer.js';
import type { AuthProvider, ProviderDeps, VerifyResult } from '../../provider.js';
import { isRevoked } from '../../revocation.js';
import { bindingFailure } from '../mtls/binding.js';
import { TokenCache } from '../../token-cache.js';
import { decodeCompact } from './compact.js';
import { compileIssuer, type CompiledIssuer } from './issuer.js';
import type { JwtSchemeConfig } from './schema.js';

/** A JWT provider, with counters tests and metrics read. */
export interface JwtProvider extends AuthProvider {
  /** JWKS/discovery fetches made so far, over all issuers. */
  fetches(): number;
  /** Signature verifications performed (cache misses that reached jose). */
  readonly stats: { verifications: number; cacheHits: number };
}

/**
 * Compiles a `kind: jwt` scheme: bearer JWTs verified per RFC 8725 against one of several
 * issuers, picked by the (untrusted, only used for lookup) `iss` claim.
 *
 * @example
 * const p = createJwtProvider(cfg, { ...stageDeps, scheme: 'bearerAuth', realm: 'books', securityScheme: undefined });
 * const r = await p.verify(ctx);
 */
export function createJwtProvider(cfg: JwtSchemeConfig, deps: ProviderDeps): JwtProvider {
  const cache = new TokenCache<Principal>(cfg.cacheMaxEntries);
  // A changed key file may have dropped a key: tokens it verified must be checked again.
  const keysFile = { checkMs: cfg.keysFileCheckMs, onChange: () => cache.clear() };
  const issuers = new Map<string, CompiledIssuer>();
  for (const i of cfg.issuers) {
    if (issuers.has(i.issuer)) throw new Error(`issuer ${JSON.stringify(i.issuer)} is listed twice`);
    issuers.set(i.issuer, compileIssuer(i, cfg.jwks, deps.baseDir, keysFile, deps.keyring));
  }
  const stats = { verifications: 0, cacheHits: 0 };
  const scheme = deps.scheme;
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme });

  const watchedIssuers = [...issuers.values()].filter((i) => i.file !== undefined);
  const bindingRequired = new Set(cfg.issuers.filter((i) => i.requireCertificateBinding === true).map((i) => i.issuer));
  // Runs on every request, cached verification or not: the certificate and revocations are per request.
  const checkRevoked = (p: Principal, ctx: RequestContext): VerifyResult | Promise<VerifyResult> => {
    const unbound = bindingFailure(p.claims, ctx.client.certificate, p.issuer !== undefined && bindingRequired.has(p.issuer));
    if (unbound !== undefined) return failed(unbound);
    const jti = typeof p.claims.jti === 'string' ? p.claims.jti : undefined;
    const revoked = isRevoked(deps.store, { jti, issuer: p.issuer, subject: p.id });
    const answer = (r: boolean): VerifyResult => (r ? failed('revoked') : { kind: 'ok', principal: p });
    return typeof revoked === 'boolean' ? answer(revoked) : revoked.then(answer);
  };

  // Synchronous up to a cache hit (with an in-process store): the authn stage, and the request,
  // then go on without a promise. A key file due for a check or a cache miss goes async. ADR 0027.
  const verify = (ctx: RequestContext): VerifyResult | Promise<VerifyResult> => {
    const token = bearerToken(ctx.headers);
    if (token === undefined) return { kind: 'absent' };
    if (token === '') return failed('malformed');
    if (token.length > cfg.maxTokenBytes) return failed('token_too_large');
    // Lets a changed key file clear the cache before it is consulted.
    for (const i of watchedIssuers) if (i.file!.fresh() === undefined) return refreshThenLookup(token, ctx);
    return lookup(token, ctx);
  };

  const refreshThenLookup = async (token: string, ctx: RequestContext): Promise<VerifyResult> => {
    for (const i of watchedIssuers) await i.file!.current();
    return lookup(token, ctx);
  };

  const lookup = (token: string, ctx: RequestContext): VerifyResult | Promise<VerifyResult> => {
    const cached = cache.get(token);
    if (cached !== undefined) {
      stats.cacheHits += 1;
      return checkRevoked(cached, ctx);
    }
    return verifyToken(token, ctx);
  };

  const verifyToken = async (token: string, ctx: RequestContext): Promise<VerifyResult> => {
    const decoded = decodeCompact(token);
    if (typeof decoded === 'string') return failed(decoded);
    const iss = decoded.payload.iss;
    const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
    if (issuer === undefined) return failed('unknown_issuer');
    if (!issuer.algorithms.has(decoded.header.alg as string)) return failed('alg_not_allowed');

    let payload: JWTPayload;
    try {
      payload = await verifyWith(issuer, token);
    } catch (err) {
      const rejected = err instanceof errors.JWKSNoMatchingKey ? await rejectionOf(issuer, decoded.header.kid) : undefined;
      return failed(rejected ?? reasonOf(err));
    }
    stats.verifications += 1;
    // jose checks a future iat only with maxTokenAge: a token issued in the future is refused always.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + (issuer.options.clockTolerance as number ?? 0)) return failed('bad_iat');
    if (typeof payload.sub !== 'string' || payload.sub === '') return failed('missing_sub');
    const principal = toPrincipal(payload, issuer.issuer, cfg);
    const ttlEnd = Date.now() + cfg.cacheTtlSeconds * 1000;
    cache.set(token, principal, Math.min(ttlEnd, (payload.exp ?? 0) * 1000));
    return checkRevoked(principal, ctx);
  };

  return {
    scheme,
    kind: 'jwt',
    challenge: `Bearer realm="${deps.realm}"`,
    verify,
    fetches: () => [...issuers.values()].reduce((n, i) => n + (i.remote?.fetches ?? 0), 0),
    stats,
  };
}

async function verifyWith(issuer: CompiledIssuer, token: string): Promise<JWTPayload> {
  if (issuer.remote === undefined) {
    const key = issuer.file === undefined ? issuer.key! : await issuer.file.current();
    try {
      const r = typeof key === 'function' ? await jwtVerify(token, key, issuer.options) : await jwtVerify(token, key, issuer.options);
      return r.payload;
    } catch (err) {
      // A keyring secret in rotation: a bad signature may be one made with a previous version.
      if (issuer.previous.length === 0 || !(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      for (const old of issuer.previous) {
        try {
          return (await jwtVerify(token, old, issuer.options)).payload;
        } catch (again) {
          if (!(again instanceof errors.JWSSignatureVerificationFailed)) throw again;
        }
      }
      throw err;
    }
  }
  try {
    return (await jwtVerify(token, await issuer.remote.current(), issuer.options)).payload;
  } catch (err) {
    // A new kid may mean the issuer rotated its keys: re-fetch (at most once per cooldown) and retry once.
    if (!(err instanceof errors.JWKSNoMatchingKey) || !await issuer.remote.refreshForUnknownKid()) throw err;
    return (await jwtVerify(token, await issuer.remote.current(), issuer.options)).payload;
  }
}

/** `weak_key` / `unsupported_key` when the token names a published key that was refused at load. */
async function rejectionOf(issuer: CompiledIssuer, kid: unknown): Promise<string | undefined> {
  if (typeof kid !== 'string') return undefined;
  const keys = issuer.remote !== undefined ? await issuer.remote.current().catch(() => undefined)
    : issuer.file !== undefined ? await issuer.file.current() : issuer.key;
  return typeof keys === 'function' ? keys.rejected?.get(kid)?.reason : undefined;
}

/** Maps a jose failure to a stable reason; anything that is not a token problem is rethrown. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `missing_${err.claim}`;
    switch (err.claim) {
      case 'nbf': return 'not_yet_valid';
      case 'iss': return 'wrong_issuer';
      case 'aud': return 'wrong_audience';
      case 'typ': return 'bad_typ';
      default: return `bad_${err.claim}`;
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_kid';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'ambiguous_kid';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'alg_not_allowed';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSEError) return 'malformed';
  if (err instanceof TypeError) return 'malformed';
  throw err;
}

function toPrincipal(payload: JWTPayload, issuer: string, cfg: JwtSchemeConfig): Principal {
  let scopes: string[] = [];
  for (const claim of cfg.scopeClaims) {
    if (payload[claim] !== undefined) {
      scopes = stringList(payload[claim]);
      break;
    }
  }
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
  return Object.freeze({
    id: payload.sub!,
    kind: 'jwt',
    issuer,
    scopes: Object.freeze(scopes),
    roles: Object.freeze(stringList(payload[cfg.rolesClaim])),
    claims: Object.freeze({ ...payload }),
    ...(clientId === undefined ? {} : { clientId }),
  });
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return [];
}
