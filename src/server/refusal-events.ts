import type { ClientErrorCode } from '../errors/index.js';
import { publishSecurityEvent, type SecurityEventInput } from '../observability/channels.js';
import { eventPath } from '../observability/event-path.js';
import type { Exchange } from './exchange.js';

/**
 * Refusals the gateway itself decides (no stage publishes an event for them), each with the
 * event kind and severity it is published as. Stage rejections (authn, authz, WAF, validation,
 * rate limit, bot) publish their own events and are not listed; upstream errors go through the
 * security bridge.
 */
const REFUSALS: Partial<Record<ClientErrorCode, { kind: string; severity: SecurityEventInput['severity']; stage: string }>> = {
  PCL_ROUTE_NOT_FOUND: { kind: 'route.undocumented', severity: 'low', stage: 'router' },
  PCL_METHOD_NOT_ALLOWED: { kind: 'route.undocumented', severity: 'low', stage: 'router' },
  PCL_BAD_PATH: { kind: 'http.refused', severity: 'medium', stage: 'router' },
  PCL_BAD_REQUEST: { kind: 'http.refused', severity: 'low', stage: 'http' },
  PCL_BAD_CONTENT_LENGTH: { kind: 'http.refused', severity: 'medium', stage: 'http' },
  PCL_BAD_HEADER: { kind: 'http.refused', severity: 'medium', stage: 'http' },
  PCL_REQUEST_SMUGGLING: { kind: 'http.refused', severity: 'high', stage: 'http' },
  PCL_HEADERS_TOO_LARGE: { kind: 'http.refused', severity: 'low', stage: 'http' },
  PCL_BODY_TOO_LARGE: { kind: 'http.refused', severity: 'low', stage: 'http' },
  PCL_REQUEST_TIMEOUT: { kind: 'http.refused', severity: 'low', stage: 'http' },
  PCL_METHOD_NOT_IMPLEMENTED: { kind: 'http.refused', severity: 'medium', stage: 'http' },
  PCL_CORS_REJECTED: { kind: 'cors.rejected', severity: 'low', stage: 'cors' },
  PCL_UPSTREAM_HOST_INVALID: { kind: 'upstream.host_refused', severity: 'medium', stage: 'proxy' },
  PCL_UPSTREAM_HOST_REFUSED: { kind: 'upstream.host_refused', severity: 'high', stage: 'proxy' },
  PCL_RESPONSE_CONTRACT_VIOLATION: { kind: 'response.contract_violation', severity: 'medium', stage: 'response-filter' },
  // A version nobody documented is probing for an old or hidden API (inventory, OWASP API9).
  PCL_API_VERSION_UNKNOWN: { kind: 'route.undocumented', severity: 'low', stage: 'router' },
  // The gateway could not serve, not the client's fault; still a refusal the operator must see
  // (a disk filled on purpose, requests racing a reload).
  PCL_SPOOL_FULL: { kind: 'gateway.unavailable', severity: 'medium', stage: 'http' },
  PCL_WAF_NOT_READY: { kind: 'gateway.unavailable', severity: 'medium', stage: 'waf' },
};

/**
 * Client codes whose event is published elsewhere: by the stage that refuses (it knows the
 * reason better than the code), by the security bridge from their own channel (upstream errors),
 * by the shed ledger (aggregated `overload.shed`), or not a refusal of a client request at all
 * (admin API answers, which the audit trail records). Together with REFUSALS this covers every
 * client code; a test keeps it so, so a new code cannot silently go without an event.
 */
export const REFUSALS_PUBLISHED_ELSEWHERE: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  // stages
  'PCL_GONE', 'PCL_AUTHN_REQUIRED', 'PCL_AUTHN_INVALID', 'PCL_AUTHN_INSUFFICIENT_SCOPE', 'PCL_AUTHN_STEP_UP_REQUIRED',
  'PCL_AUTHZ_DENIED', 'PCL_VALIDATION_FAILED', 'PCL_UNSUPPORTED_MEDIA_TYPE', 'PCL_UPLOAD_MALFORMED', 'PCL_UPLOAD_TOO_LARGE',
  'PCL_UPLOAD_TYPE_NOT_ALLOWED', 'PCL_UPLOAD_REJECTED', 'PCL_UPLOAD_SCAN_UNAVAILABLE', 'PCL_WAF_BLOCKED',
  'PCL_WAF_BODY_UNPARSABLE', 'PCL_WAF_RESPONSE_BLOCKED', 'PCL_DATA_LEAK_BLOCKED', 'PCL_FLE_BODY_INVALID',
  'PCL_RATE_LIMITED', 'PCL_RATE_LIMIT_PENALTY', 'PCL_RATE_LIMIT_UNAVAILABLE', 'PCL_BOT_THROTTLED', 'PCL_BOT_BLOCKED',
  'PCL_BOT_STEP_UP_REQUIRED', 'PCL_BOT_UNAVAILABLE', 'PCL_ANOMALY_BLOCKED', 'PCL_ANOMALY_STEP_UP_REQUIRED',
  'PCL_ANOMALY_UNAVAILABLE', 'PCL_STAGE_FAILED',
  // the security bridge (upstream errors and refused upstream addresses)
  'PCL_UPSTREAM_UNAVAILABLE', 'PCL_UPSTREAM_TIMEOUT', 'PCL_UPSTREAM_TLS_FAILED', 'PCL_UPSTREAM_ADDRESS_REFUSED',
  'PCL_UPSTREAM_CIRCUIT_OPEN', 'PCL_UPSTREAM_OVERLOADED',
  // the egress listener's own refusal path
  'PCL_EGRESS_CLIENT_NOT_ALLOWED', 'PCL_EGRESS_BAD_TARGET', 'PCL_EGRESS_INTEGRATION_NOT_FOUND', 'PCL_EGRESS_HOST_NOT_ALLOWED',
  'PCL_EGRESS_ADDRESS_REFUSED', 'PCL_EGRESS_METHOD_NOT_ALLOWED', 'PCL_EGRESS_PATH_NOT_ALLOWED', 'PCL_EGRESS_RATE_LIMITED',
  'PCL_EGRESS_RESPONSE_REJECTED', 'PCL_EGRESS_REDIRECT_REFUSED',
  // shedding (aggregated per client and second), shutdown, internal faults (logged with their cause)
  'PCL_OVERLOADED', 'PCL_SHUTTING_DOWN', 'PCL_INTERNAL',
  // admin API (admin.action / admin.denied and the audit trail)
  'PCL_ADMIN_CONFLICT', 'PCL_ADMIN_NOT_FOUND', 'PCL_ADMIN_AUDIT_UNAVAILABLE',
]);

/** The codes this module publishes itself (for the coverage test). */
export const GATEWAY_REFUSAL_CODES: ReadonlySet<string> = new Set(Object.keys(REFUSALS));

/**
 * Codes of the HTTP layer (parser, head checks, body framing and pace): the exchange's
 * decision is `refused`, not `rejected` (which is the API policy's).
 */
export const HTTP_LAYER_CODES: ReadonlySet<string> = new Set<ClientErrorCode>([
  'PCL_BAD_REQUEST', 'PCL_BAD_CONTENT_LENGTH', 'PCL_BAD_HEADER', 'PCL_REQUEST_SMUGGLING', 'PCL_HEADERS_TOO_LARGE',
  'PCL_REQUEST_TIMEOUT', 'PCL_METHOD_NOT_IMPLEMENTED',
]);

export { eventPath } from '../observability/event-path.js';

/** What is known of a refused request (all of it for a routed exchange, little for a parser error). */
export interface RefusedRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly client: string;
  readonly api: string;
  readonly operationId: string | undefined;
  readonly principal?: string | undefined;
}

/**
 * Publishes a gateway refusal as a security event (kind by code, see REFUSALS; the reason is the
 * code without its prefix, lower-cased). Codes a stage reports itself are ignored.
 *
 * @example
 * publishRefusalOf({ requestId, method: 'GET', path: '/x', client: '::1', api: '', operationId: undefined }, 'PCL_BAD_HEADER', 400);
 */
export function publishRefusalOf(r: RefusedRequest, code: ClientErrorCode, status: number, stage?: string): void {
  const entry = REFUSALS[code];
  if (entry === undefined) return;
  publishSecurityEvent(() => ({
    kind: entry.kind, reason: code.slice(4).toLowerCase(), requestId: r.requestId, api: r.api, operationId: r.operationId,
    client: r.client, ...(r.principal !== undefined ? { principal: r.principal } : {}), severity: entry.severity,
    stage: stage ?? entry.stage, enforced: true, method: r.method, path: eventPath(r.path), status, code,
  }));
}

/** {@link publishRefusalOf} for an exchange: everything routing learnt goes into the event. */
export function publishRefusal(x: Exchange, code: ClientErrorCode, status: number, stage?: string): void {
  publishRefusalOf(refusedRequest(x), code, status, stage);
}

/** What an exchange knows of its request, for events. */
export function refusedRequest(x: Exchange): RefusedRequest {
  return {
    requestId: x.id,
    method: x.req.method ?? '',
    path: x.path,
    client: x.client?.ip ?? x.req.socket.remoteAddress ?? '',
    api: x.target?.api.name ?? '',
    operationId: x.target?.operationId,
    principal: x.ctx?.principal?.id,
  };
}

/**
 * The upstream itself refused a request with 401 or 403 (a failed login, a denied object):
 * `upstream.denied`, reason `status_401` / `status_403`. Every such answer is published, on any
 * operation: the gateway cannot tell a login operation from others reliably, and a stream of
 * them from one client (credential stuffing, object probing) is what an operator looks for.
 *
 * @example
 * if (status === 401 || status === 403) publishUpstreamDenial(x, status);
 */
export function publishUpstreamDenial(x: Exchange, status: number): void {
  const r = refusedRequest(x);
  publishSecurityEvent(() => ({
    kind: 'upstream.denied', reason: `status_${status}`, requestId: r.requestId, api: r.api, operationId: r.operationId,
    client: r.client, ...(r.principal !== undefined ? { principal: r.principal } : {}), severity: 'low', stage: 'proxy',
    enforced: false, method: r.method, path: eventPath(r.path), status,
  }));
}
