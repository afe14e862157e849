import diagnostics_channel from 'node:diagnostics_channel';
import { Counter, register, type Registry } from 'prom-client';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';

/**
 * The reason codes each event kind may carry, as label values. Anything else is counted as
 * `other`: reasons are internal strings, and an unbounded label would let clients grow the
 * metric without limit.
 */
export const SECURITY_EVENT_REASONS: Readonly<Record<string, ReadonlySet<string>>> = {
  'authn.failure': new Set([
    // request level
    'missing_credentials', 'insufficient_scope',
    // tokens (JWT, introspection)
    'malformed', 'token_too_large', 'signature_missing', 'duplicate_member', 'alg_none', 'alg_not_allowed', 'embedded_key',
    'crit_unsupported', 'b64_unsupported', 'bad_typ', 'bad_kid', 'unknown_issuer', 'unknown_kid', 'ambiguous_kid', 'bad_signature',
    'expired', 'not_yet_valid', 'wrong_issuer', 'wrong_audience', 'missing_exp', 'missing_iss', 'missing_aud', 'missing_iat',
    'missing_nbf', 'missing_jti', 'missing_sub', 'bad_iat', 'bad_nbf', 'bad_exp', 'inactive', 'revoked',
    // certificate binding (RFC 8705) and mTLS
    'cert_required', 'cert_mismatch', 'bad_cnf', 'cnf_required', 'cert_expired', 'cert_not_yet_valid', 'cert_revoked',
    'crl_unavailable', 'crl_expired', 'cert_untrusted', 'no_matching_rule', 'no_identity', 'ambiguous_identity',
    // API keys
    'bad_secret', 'cidr_not_allowed', 'key_in_query', 'ambiguous_credentials',
    // HTTP message signatures
    'unknown_key', 'alg_mismatch', 'missing_components', 'digest_not_covered', 'created_missing', 'stale', 'future',
    'nonce_missing', 'replayed', 'digest_mismatch', 'digest_malformed', 'digest_no_supported_algorithm',
    // TOTP step-up
    'no_principal', 'otp_required', 'not_enrolled', 'otp_invalid', 'otp_reused',
  ]),
  'bot.detected': new Set(['automation-user-agent', 'headless-browser', 'missing-browser-headers', 'regular-cadence', 'sequential-enumeration', 'score']),
  'credential-stuffing.detected': new Set(['ip', 'subnet', 'username', 'distinct-usernames']),
  // Success events carry the credential kind.
  'authn.success': new Set(['jwt', 'introspection', 'api-key', 'mtls', 'http-signature']),
};

/**
 * The label values of an event: `kind` is one of the known kinds else `other`; `reason` one
 * of that kind's known reasons else `other`.
 *
 * @example
 * securityLabels({ kind: 'authn.failure', reason: 'expired' }); // { kind: 'authn.failure', reason: 'expired' }
 */
export function securityLabels(m: Pick<SecurityEventMessage, 'kind' | 'reason'>): { kind: string; reason: string } {
  const reasons = Object.hasOwn(SECURITY_EVENT_REASONS, m.kind) ? SECURITY_EVENT_REASONS[m.kind] : undefined;
  if (reasons === undefined) return { kind: 'other', reason: 'other' };
  return { kind: m.kind, reason: reasons.has(m.reason) ? m.reason : 'other' };
}

/**
 * Counts `portcullis:security:event` messages as `portcullis_security_events_total{kind,reason}`.
 * Returns a function that unsubscribes and removes the counter from the registry.
 *
 * @example
 * const stop = subscribeSecurityMetrics(metrics.registry);
 */
export function subscribeSecurityMetrics(registry: Registry = register, prefix = 'portcullis_'): () => void {
  const name = `${prefix}security_events_total`;
  const counter = new Counter({ name, help: 'Security events (authentication failures and successes, ...), by kind and bounded reason.', labelNames: ['kind', 'reason'], registers: [registry] });
  const onEvent = (msg: unknown): void => { counter.inc(securityLabels(msg as SecurityEventMessage)); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
    registry.removeSingleMetric(name);
  };
}
