import type { OutgoingHttpHeaders } from 'node:http';
import type { SecurityHeadersConfig } from '../config/schema.js';

/** Applies the configured security headers to a response's header object in place. */
export type SecurityHeaders = (headers: OutgoingHttpHeaders, facts: { tls: boolean; credentialed: boolean }) => void;

/**
 * Compiles the security-header policy once per config. It runs on every response the
 * gateway sends, upstream or generated, so it is a runtime function rather than a
 * per-operation stage.
 *
 * @example
 * const apply = compileSecurityHeaders(config.securityHeaders);
 * apply(headers, { tls: true, credentialed: false });
 */
export function compileSecurityHeaders(cfg: SecurityHeadersConfig): SecurityHeaders {
  if (cfg.mode === 'off') return () => {};
  const remove = cfg.removeHeaders.map((h) => h.toLowerCase());
  const hsts = cfg.hsts.enabled
    ? `max-age=${cfg.hsts.maxAgeSeconds}${cfg.hsts.includeSubDomains ? '; includeSubDomains' : ''}${cfg.hsts.preload ? '; preload' : ''}`
    : undefined;
  const extra = Object.entries(cfg.add).map(([k, v]) => [k.toLowerCase(), v] as const);
  // monitor mode removes nothing and only adds headers the upstream did not set.
  const enforce = cfg.mode === 'enforce';
  return (headers, facts) => {
    // A keyed delete of an absent name is a slow runtime call; the read is cached (ADR 0027).
    if (enforce) for (const name of remove) if (headers[name] !== undefined) delete headers[name];
    if (cfg.contentTypeOptions) headers['x-content-type-options'] = 'nosniff';
    if (cfg.frameAncestors && headers['content-security-policy'] === undefined) headers['content-security-policy'] = "frame-ancestors 'none'";
    if (cfg.referrerPolicy !== '' && (enforce || headers['referrer-policy'] === undefined)) headers['referrer-policy'] = cfg.referrerPolicy;
    if (hsts !== undefined && facts.tls) headers['strict-transport-security'] = hsts;
    if (cfg.noStoreWhenAuthenticated && facts.credentialed && enforce) headers['cache-control'] = 'no-store';
    for (const [k, v] of extra) headers[k] = v;
  };
}
