import { createLocalJWKSet, type JSONWebKeySet, type JWK } from 'jose';
import { fetchJson, isLoopbackUrl } from '../../http-json.js';
import type { JwksOptions } from './schema.js';
import { classifyJwk, reportRejectedKey, type KeyRejection } from './key-check.js';


/** A key lookup for jose, with the published keys that were left out because they can never verify, by kid. */
export type KeySetFunction = ReturnType<typeof createLocalJWKSet> & { readonly rejected?: ReadonlyMap<string, KeyRejection> };

/**
 * Usable verification keys of a JWKS. Keys marked for another use are dropped silently; keys that
 * can never verify (private, symmetric `oct` — a JWKS must never lend a public value as an HMAC
 * secret —, unknown type, curve or algorithm, RSA under 2048 bits) are dropped and reported once
 * per load as `key.rejected`, and remembered by kid so a token naming one fails with `weak_key` /
 * `unsupported_key` instead of a vague reason.
 */
export function localKeySet(jwks: unknown, where: string): KeySetFunction {
  if (jwks === null || typeof jwks !== 'object' || !Array.isArray((jwks as JSONWebKeySet).keys)) {
    throw new Error(`${where}: not a JWKS (an object with a "keys" array)`);
  }
  const rejected = new Map<string, KeyRejection>();
  const keys = (jwks as JSONWebKeySet).keys.filter((k: JWK) => {
    if (k === null || typeof k !== 'object' || typeof k.kty !== 'string') return false;
    if (k.use !== undefined && k.use !== 'sig') return false;
    if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) return false;
    const why = classifyJwk(k);
    if (why === undefined) return true;
    if (typeof k.kid === 'string') rejected.set(k.kid, why);
    reportRejectedKey(where, k.kid, why);
    return false;
  });
  return Object.assign(createLocalJWKSet({ keys }), { rejected });
}

/** Where a remote key set is found: a JWKS URL, or an OIDC discovery document naming it. */
export type JwksLocation = { readonly jwksUri: string } | { readonly discoveryUrl: string; readonly issuer: string };

/**
 * A JWKS fetched over HTTP with our own caching rules: fresh for the response's
 * Cache-Control max-age (clamped), refreshed in the background when stale, kept while the
 * issuer is unreachable (up to maxStale), and re-fetched on an unknown `kid` at most once per
 * cooldown. One fetch at a time (concurrent callers share it).
 *
 * @example
 * const set = new RemoteJwks({ jwksUri: 'https://idp.example/jwks' }, options);
 * await jwtVerify(token, await set.current(), opts);
 */
export class RemoteJwks {
  readonly #location: JwksLocation;
  readonly #opts: JwksOptions;
  readonly #clock: () => number;
  #jwksUri: string | undefined;
  #keys: KeySetFunction | undefined;
  #freshUntil = 0;
  #staleUntil = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  /** Number of HTTP fetches made (JWKS and discovery), for tests and metrics. */
  fetches = 0;

  constructor(location: JwksLocation, opts: JwksOptions, clock: () => number = Date.now) {
    this.#location = location;
    this.#opts = opts;
    this.#clock = clock;
    this.#jwksUri = 'jwksUri' in location ? checkedUrl(location.jwksUri, 'jwksUri') : undefined;
    if ('discoveryUrl' in location) checkedUrl(location.discoveryUrl, 'discoveryUrl');
  }

  /** The current key set, fetching it first if there is none yet or it is too stale to use. */
  async current(): Promise<KeySetFunction> {
    const now = this.#clock();
    if (this.#keys === undefined || now >= this.#staleUntil) {
      await this.#refresh();
    } else if (now >= this.#freshUntil) {
      this.#refresh().catch(() => { /* stale-while-error: keep the last good keys */ });
    }
    if (this.#keys === undefined) throw this.#lastError ?? new Error('no JWKS available');
    return this.#keys;
  }

  /**
   * Called when the token's `kid` is not in the set: re-fetches unless a fetch happened within
   * the cooldown. Resolves true when a new set was loaded (the caller retries once).
   */
  async refreshForUnknownKid(): Promise<boolean> {
    if (this.#inflight === undefined && !this.#cooledDown(this.#clock())) return false;
    try {
      await this.#refresh();
      return true;
    } catch {
      return false;
    }
  }

  #cooledDown(now: number): boolean {
    return now - this.#lastAttempt >= this.#opts.refreshCooldownSeconds * 1000;
  }

  /** One fetch at a time, and none within the cooldown of the last attempt (even after a failure). */
  #refresh(): Promise<void> {
    if (this.#inflight !== undefined) return this.#inflight;
    const now = this.#clock();
    if (!this.#cooledDown(now)) return this.#lastError === undefined ? Promise.resolve() : Promise.reject(this.#lastError);
    this.#lastAttempt = now;
    this.#inflight = this.#load().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  #lastError: Error | undefined;

  async #load(): Promise<void> {
    try {
      const uri = this.#jwksUri ?? await this.#discover();
      this.fetches += 1;
      const { body, maxAgeSeconds } = await fetchJson(uri, { timeoutMs: this.#opts.timeoutMs, maxBytes: this.#opts.maxBytes });
      const keys = localKeySet(body, uri);
      const o = this.#opts;
      const ttl = Math.min(o.maxCacheSeconds, Math.max(o.minCacheSeconds, maxAgeSeconds ?? o.defaultCacheSeconds));
      const now = this.#clock();
      this.#keys = keys;
      this.#freshUntil = now + ttl * 1000;
      this.#staleUntil = now + (ttl + o.maxStaleSeconds) * 1000;
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError = err instanceof Error ? err : new Error(String(err));
      throw this.#lastError;
    }
  }

  async #discover(): Promise<string> {
    const loc = this.#location as { discoveryUrl: string; issuer: string };
    this.fetches += 1;
    const { body } = await fetchJson(loc.discoveryUrl, { timeoutMs: this.#opts.timeoutMs, maxBytes: this.#opts.maxBytes });
    const doc = body as { issuer?: unknown; jwks_uri?: unknown };
    // OIDC Discovery 4.3: the document must be about the issuer we trust, not another one.
    if (doc.issuer !== loc.issuer) throw new Error(`${loc.discoveryUrl}: issuer ${JSON.stringify(doc.issuer)} does not match ${JSON.stringify(loc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${loc.discoveryUrl}: no jwks_uri`);
    this.#jwksUri = checkedUrl(doc.jwks_uri, 'jwks_uri');
    return this.#jwksUri;
  }
}

function checkedUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) return value;
  throw new Error(`${what} ${JSON.stringify(value)} must use https (plain http only for loopback addresses)`);
}
