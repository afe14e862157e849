import type { Principal, RequestContext } from '../../../../pipeline/context.js';
import { bearerToken } from '../../bearer.js';
import { fetchJson, isLoopbackUrl } from '../../http-json.js';
import type { AuthProvider, ProviderDeps, VerifyResult } from '../../provider.js';
import { isRevoked } from '../../revocation.js';
import { bindingFailure } from '../mtls/binding.js';
import { TokenCache } from '../../token-cache.js';
import type { IntrospectionSchemeConfig } from './schema.js';

/** An introspection provider with its call counter (tests assert caching with it). */
export interface IntrospectionProvider extends AuthProvider {
  readonly stats: { calls: number; cacheHits: number };
}

type Outcome = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

/**
 * Compiles a `kind: introspection` scheme: the bearer token is POSTed to the RFC 7662
 * endpoint with the gateway's client credentials; active results are cached until the
 * token's `exp` (or the TTL), inactive ones briefly. Concurrent requests with the same
 * token share one call.
 *
 * @example
 * const p = createIntrospectionProvider(cfg, deps);
 * await p.verify(ctx); // { kind: 'ok', principal } or { kind: 'failed', reason: 'inactive' }
 */
export function createIntrospectionProvider(cfg: IntrospectionSchemeConfig, deps: ProviderDeps): IntrospectionProvider {
  const url = new URL(cfg.endpoint);
  if (url.protocol !== 'https:' && !isLoopbackUrl(url)) throw new Error(`introspection endpoint ${cfg.endpoint} must use https (plain http only for loopback addresses)`);
  const authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(cfg.clientId)}:${encodeURIComponent(cfg.clientSecret)}`).toString('base64');
  const positive = new TokenCache<Principal>(cfg.cacheMaxEntries);
  const negative = new TokenCache<string>(cfg.cacheMaxEntries);
  const inflight = new Map<string, Promise<Outcome>>();
  const stats = { calls: 0, cacheHits: 0 };
  const scheme = deps.scheme;
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme });

  const introspect = async (token: string): Promise<Outcome> => {
    stats.calls += 1;
    const { body } = await fetchJson(cfg.endpoint, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      timeoutMs: cfg.timeoutMs,
      maxBytes: 65_536,
    });
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${cfg.endpoint}: response is not a JSON object`);
    const r = body as Record<string, unknown>;
    const nowS = Date.now() / 1000;
    const outcome = judge(r, cfg, nowS);
    if (outcome.ok) {
      const exp = typeof r.exp === 'number' ? r.exp * 1000 : Number.POSITIVE_INFINITY;
      positive.set(token, outcome.principal, Math.min(exp, Date.now() + cfg.cacheTtlSeconds * 1000));
    } else {
      negative.set(token, outcome.reason, Date.now() + cfg.negativeCacheSeconds * 1000);
    }
    return outcome;
  };

  const verify = async (ctx: RequestContext): Promise<VerifyResult> => {
    const token = bearerToken(ctx.headers);
    if (token === undefined) return { kind: 'absent' };
    if (token === '') return failed('malformed');
    if (token.length > cfg.maxTokenBytes) return failed('token_too_large');
    let outcome: Outcome;
    const hit = positive.get(token);
    const miss = hit === undefined ? negative.get(token) : undefined;
    if (hit !== undefined || miss !== undefined) {
      stats.cacheHits += 1;
      outcome = hit !== undefined ? { ok: true, principal: hit } : { ok: false, reason: miss! };
    } else {
      const key = TokenCache.key(token);
      let pending = inflight.get(key);
      if (pending === undefined) {
        pending = introspect(token).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      outcome = await pending;
    }
    if (!outcome.ok) return failed(outcome.reason);
    const p = outcome.principal;
    const unbound = bindingFailure(p.claims, ctx.client.certificate, cfg.requireCertificateBinding === true);
    if (unbound !== undefined) return failed(unbound);
    const jti = typeof p.claims.jti === 'string' ? p.claims.jti : undefined;
    if (await isRevoked(deps.store, { jti, issuer: p.issuer, subject: p.id })) return failed('revoked');
    return { kind: 'ok', principal: p };
  };

  return { scheme, kind: 'introspection', challenge: `Bearer realm="${deps.realm}"`, verify, stats };
}

function judge(r: Record<string, unknown>, cfg: IntrospectionSchemeConfig, nowS: number): Outcome {
  if (r.active !== true) return { ok: false, reason: 'inactive' };
  if (typeof r.exp === 'number' && r.exp <= nowS) return { ok: false, reason: 'expired' };
  if (typeof r.nbf === 'number' && r.nbf > nowS + 30) return { ok: false, reason: 'not_yet_valid' };
  if (cfg.issuer !== undefined && r.iss !== cfg.issuer) return { ok: false, reason: 'wrong_issuer' };
  if (cfg.audiences !== undefined) {
    const aud = typeof r.aud === 'string' ? [r.aud] : Array.isArray(r.aud) ? r.aud : [];
    if (!aud.some((a) => cfg.audiences!.includes(a as string))) return { ok: false, reason: 'wrong_audience' };
  }
  const id = [r.sub, r.username, r.client_id].find((v): v is string => typeof v === 'string' && v !== '');
  if (id === undefined) return { ok: false, reason: 'missing_sub' };
  const scope = r[cfg.scopeClaim];
  const issuer = cfg.issuer ?? (typeof r.iss === 'string' ? r.iss : undefined);
  return {
    ok: true,
    principal: Object.freeze({
      id,
      kind: 'introspection',
      ...(issuer === undefined ? {} : { issuer }),
      scopes: Object.freeze(typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : []),
      roles: Object.freeze(Array.isArray(r.roles) ? r.roles.filter((x): x is string => typeof x === 'string') : []),
      claims: Object.freeze({ ...r }),
      ...(typeof r.client_id === 'string' ? { clientId: r.client_id } : {}),
    }),
  };
}
