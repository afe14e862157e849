import type { RuleMeta } from '../common/finding.js';

/** Every finding kind `portcullis scan` reports, by id. */
export const SCAN_RULES = {
  bola: { id: 'bola', title: 'Object of one identity reachable by another', severity: 'high', owasp: 'API1:2023', fix: 'Check ownership of every object reached by id (gateway: an authz rule with a `when` on the id, or a responseRule comparing the owner); prefer random ids.' },
  bfla: { id: 'bfla', title: 'Admin operation allowed to a non-admin identity', severity: 'high', owasp: 'API5:2023', fix: 'Deny admin operations unless the caller has the admin role (gateway: mark them x-portcullis-admin or tag admin, grant them to the admin role only).' },
  authBypass: { id: 'auth-bypass', title: 'Request accepted with missing or forged credentials', severity: 'critical', owasp: 'API2:2023', fix: 'Verify every token: signature with an allow-list of algorithms (never none), issuer, audience and expiry (gateway: the authn stage\'s jwt scheme).' },
  massAssignment: { id: 'mass-assignment', title: 'readOnly or undeclared property accepted', severity: 'high', owasp: 'API3:2023', fix: 'Reject request properties the schema does not declare and readOnly ones (gateway: request-validation with strictBodies).' },
  injection: { id: 'injection', title: 'Injection probe changed the response', severity: 'high', owasp: 'API8:2023', fix: 'Use parameterised queries and safe APIs, validate every parameter against a strict schema, never echo internal errors (gateway: request-validation, the WAF, problem+json errors).' },
  ssrf: { id: 'ssrf', title: 'URL parameter fetched by the server', severity: 'high', owasp: 'API7:2023', fix: 'Fetch only allow-listed destinations; refuse internal and link-local addresses; validate URL parameters (format and allow-list).' },
  fuzzServerError: { id: 'fuzz-server-error', title: 'Server error on malformed input', severity: 'medium', owasp: 'API8:2023', fix: 'Validate input against the schema before using it; a malformed request deserves 400, never 500 (gateway: request-validation).' },
  fuzzAccepted: { id: 'fuzz-accepted-invalid', title: 'Input outside the schema accepted', severity: 'low', owasp: 'API4:2023', fix: 'Enforce the documented bounds (maxLength, maximum, enum, types) on the server or in the gateway (request-validation).' },
  exposure: { id: 'excessive-data-exposure', title: 'Response properties the schema does not declare', severity: 'medium', owasp: 'API3:2023', fix: 'Return only declared properties (gateway: response-filter with action filter); never serialise whole records.' },
  rateLimit: { id: 'missing-rate-limit', title: 'No rate limit on a burst', severity: 'medium', owasp: 'API4:2023', fix: 'Rate-limit every operation, tighter on expensive and credential-checking ones (gateway: the rate-limit stage).' },
} as const satisfies Record<string, RuleMeta>;

/** The scan rules as a list, for SARIF's rule table. */
export const SCAN_RULE_LIST: readonly RuleMeta[] = Object.values(SCAN_RULES);
