import diagnostics_channel from 'node:diagnostics_channel';
import { register, type Registry } from 'prom-client';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';
import { BoundedLabel } from './bounded-label.js';
import { KeyedCounter } from './keyed.js';

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
    'weak_key', 'unsupported_key',
    'bad_secret', 'cidr_not_allowed', 'key_in_query', 'ambiguous_credentials',
    // HTTP message signatures
    'unknown_key', 'alg_mismatch', 'missing_components', 'digest_not_covered', 'created_missing', 'stale', 'future',
    'nonce_missing', 'replayed', 'digest_mismatch', 'digest_malformed', 'digest_no_supported_algorithm',
    // TOTP step-up
    'no_principal', 'otp_required', 'not_enrolled', 'otp_invalid', 'otp_reused',
  ]),
  'key.file_failed': new Set(['missing', 'unreadable', 'invalid']),
  'key.rejected': new Set(['weak_key', 'unsupported_key']),
  'bot.detected': new Set(['automation-user-agent', 'headless-browser', 'missing-browser-headers', 'regular-cadence', 'sequential-enumeration', 'denied-fingerprint', 'score']),
  'credential-stuffing.detected': new Set(['ip', 'subnet', 'username', 'distinct-usernames']),
  'upload.rejected': new Set(['malware', 'type-mismatch', 'type-not-allowed', 'extension-not-allowed', 'too-large', 'malformed', 'scan-unavailable']),
  'upload.unscanned': new Set(['scan-unavailable']),
  'upload.accepted': new Set(['scanned-clean', 'checked']),
  'anomaly.detected': new Set(['exfiltration', 'enumeration', 'credentialSharing', 'probing', 'unusualMethod', 'unusualHour']),
  'anomaly.alert': new Set(['exfiltration', 'enumeration', 'credentialSharing', 'probing', 'unusualMethod', 'unusualHour']),
  // Success events carry the credential kind.
  'authn.success': new Set(['jwt', 'introspection', 'api-key', 'mtls', 'http-signature']),
};

// Kinds outside the table above (published by stages added later, the bridge, ...) get a
// first-come bounded set of reasons each; kinds themselves are bounded too.
const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,31}\.[a-z0-9_.-]{1,48}$/;
const MAX_KINDS = 64;
const MAX_REASONS_PER_KIND = 32;

/** Label clamping state of one subscription. */
class SecurityLabeler {
  readonly #kinds = new Map<string, BoundedLabel>();
  readonly apis = new BoundedLabel(256);
  readonly operations = new BoundedLabel(2048);

  labels(m: Pick<SecurityEventMessage, 'kind' | 'reason'>): { kind: string; reason: string } {
    const known = Object.hasOwn(SECURITY_EVENT_REASONS, m.kind) ? SECURITY_EVENT_REASONS[m.kind] : undefined;
    if (known !== undefined) return { kind: m.kind, reason: known.has(m.reason) ? m.reason : 'other' };
    if (typeof m.kind !== 'string' || !KIND_PATTERN.test(m.kind)) return { kind: 'other', reason: 'other' };
    let reasons = this.#kinds.get(m.kind);
    if (reasons === undefined) {
      if (this.#kinds.size >= MAX_KINDS) return { kind: 'other', reason: 'other' };
      reasons = new BoundedLabel(MAX_REASONS_PER_KIND, /^[A-Za-z0-9_. -]{1,64}$/);
      this.#kinds.set(m.kind, reasons);
    }
    return { kind: m.kind, reason: reasons.value(m.reason) };
  }
}

const shared = new SecurityLabeler();

/**
 * The label values of an event: `kind` is one of the known kinds (or, for kinds outside the
 * table, one of the first 64 well-formed kinds seen) else `other`; `reason` one of that
 * kind's known reasons (or one of its first 32) else `other`.
 *
 * @example
 * securityLabels({ kind: 'authn.failure', reason: 'expired' }); // { kind: 'authn.failure', reason: 'expired' }
 */
export function securityLabels(m: Pick<SecurityEventMessage, 'kind' | 'reason'>): { kind: string; reason: string } {
  return shared.labels(m);
}

/**
 * Counts `portcullis:security:event` messages as
 * - `portcullis_security_events_total{kind,reason}`
 * - `portcullis_security_events_by_operation_total{kind,api,operation,client_class}`, where
 *   `client_class` is `authenticated` (a principal is known) or `anonymous`.
 *
 * No label ever holds a client address, principal or request id. Returns a function that
 * unsubscribes and removes the counters from the registry.
 *
 * @example
 * const stop = subscribeSecurityMetrics(metrics.registry);
 */
export function subscribeSecurityMetrics(registry: Registry = register, prefix = 'portcullis_'): () => void {
  const name = `${prefix}security_events_total`;
  const byOpName = `${prefix}security_events_by_operation_total`;
  const labeler = new SecurityLabeler();
  // Counted by key (per event, and some events come with every request: authn.success, authz.success): ADR 0018.
  const counter = new KeyedCounter({ name, help: 'Security events (authentication failures, validation failures, rate limits, ...), by kind and bounded reason.', labelNames: ['kind', 'reason'], registers: [registry] });
  const byOp = new KeyedCounter({ name: byOpName, help: 'Security events by kind, API, operation and client class (anonymous | authenticated).', labelNames: ['kind', 'api', 'operation', 'client_class'], registers: [registry] });
  const onEvent = (msg: unknown): void => {
    const m = msg as SecurityEventMessage;
    const l = labeler.labels(m);
    // An aggregated event (overload.shed, ADR 0032) counts the requests it stands for.
    const n = m.count ?? 1;
    counter.incKeyed(`${l.kind}\u0000${l.reason}`, () => l, n);
    const api = labeler.apis.value(m.api);
    const operation = api === 'other' ? 'other' : labeler.operations.value(m.operationId);
    const clientClass = m.principal === undefined ? 'anonymous' : 'authenticated';
    byOp.incKeyed(`${l.kind}\u0000${api}\u0000${operation}\u0000${clientClass}`, () => ({ kind: l.kind, api, operation, client_class: clientClass }), n);
  };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
    registry.removeSingleMetric(name);
    registry.removeSingleMetric(byOpName);
  };
}
