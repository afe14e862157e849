import { GatewayError } from '../errors/index.js';

/**
 * What went wrong talking to an upstream.
 * - `connect`: no connection was made (refused, DNS, connect timeout, TLS handshake): the
 *   request was certainly not sent, so it is safe to retry. 502.
 * - `tls`: the upstream's certificate failed verification or pinning: no request was sent, and a
 *   retry would meet the same certificate. 502 `PCL_UPSTREAM_TLS_FAILED` (a possible interception).
 * - `address`: the upstream's name resolved to an address the API's `addressGuard` forbids (SSRF,
 *   DNS rebinding): nothing was sent. 502 `PCL_UPSTREAM_ADDRESS_REFUSED`.
 * - `timeout`: the upstream took too long for its response head or body. 504.
 * - `aborted`: the request was aborted on our side (client went away, signal). No verdict on the upstream.
 * - `other`: anything else, including resets after the request may have been sent. 502.
 */
export type UpstreamErrorKind = 'connect' | 'tls' | 'address' | 'timeout' | 'aborted' | 'other';

/**
 * Codes that can only arise before a request is written to a socket. ETIMEDOUT, EHOSTUNREACH and
 * ENETUNREACH are left out: Linux also reports them on an established connection.
 */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshakes that failed for a reason other than the upstream's certificate.
  'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT',
]);

/** The upstream presented a certificate the gateway does not accept (chain, name, validity, pin). */
const TLS_CODES: ReadonlySet<string> = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED',
  'ERR_PCL_UPSTREAM_PIN_MISMATCH',
]);

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const ABORT_CODES: ReadonlySet<string> = new Set(['UND_ERR_ABORTED', 'UND_ERR_ABORT', 'ABORT_ERR']);

/**
 * Classifies an error from an undici request. ECONNRESET / EPIPE / UND_ERR_SOCKET count as
 * `other`: undici reports them the same way before and after the request was written, and
 * treating them as `connect` would invite retrying a non-idempotent request the upstream may
 * have executed. Looks through `cause` chains (fetch's "fetch failed") and an AggregateError
 * from happy-eyeballs connects. Pass the request's `signal` so that an abort with a custom
 * reason is still recognised.
 *
 * @example
 * classifyUpstreamError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })); // 'connect'
 */
export function classifyUpstreamError(err: unknown, signal?: AbortSignal): UpstreamErrorKind {
  const kind = classify(err);
  // Aborting with a custom reason rejects with that reason itself, which carries no abort marker.
  return kind === 'other' && signal?.aborted === true ? 'aborted' : kind;
}

function classify(err: unknown): UpstreamErrorKind {
  let current: unknown = err;
  // Bounded: a cause chain is short, and a cyclic one must not hang the request path.
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; name?: unknown; errors?: unknown; cause?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code !== undefined) {
      if (CONNECT_CODES.has(code)) return 'connect';
      if (TLS_CODES.has(code)) return 'tls';
      if (code === 'ERR_PCL_UPSTREAM_ADDRESS_REFUSED') return 'address';
      if (TIMEOUT_CODES.has(code)) return 'timeout';
      if (ABORT_CODES.has(code)) return 'aborted';
    }
    if (e.name === 'AbortError') return 'aborted';
    if (e.name === 'TimeoutError') return 'timeout'; // AbortSignal.timeout()
    if (code === undefined && Array.isArray(e.errors) && e.errors.length > 0) {
      current = e.errors[0];
      continue;
    }
    current = e.cause;
  }
  return 'other';
}

/**
 * The client rejection for an upstream failure: 504 `PCL_UPSTREAM_TIMEOUT` for a timeout, 502
 * `PCL_UPSTREAM_TLS_FAILED` for a refused certificate, 502 `PCL_UPSTREAM_UNAVAILABLE` otherwise. The public detail is generic; the error code of the cause
 * goes to `internal` (logs and audit only), never its message, which may name internal hosts.
 *
 * @example
 * catch (err) { throw toGatewayError(classifyUpstreamError(err), err); }
 */
export function toGatewayError(kind: UpstreamErrorKind, cause?: unknown): GatewayError {
  const code = errorCode(cause);
  const internal = code === undefined ? `upstream ${kind} error` : `upstream ${kind} error: ${code}`;
  if (kind === 'address') {
    return new GatewayError('PCL_UPSTREAM_ADDRESS_REFUSED', { detail: 'The upstream service could not be reached.', stage: 'proxy', internal, cause });
  }
  if (kind === 'tls') {
    return new GatewayError('PCL_UPSTREAM_TLS_FAILED', { detail: 'The upstream service could not be reached securely.', stage: 'proxy', internal, cause });
  }
  if (kind === 'timeout') {
    return new GatewayError('PCL_UPSTREAM_TIMEOUT', { detail: 'The upstream service did not answer in time.', stage: 'proxy', internal, cause });
  }
  return new GatewayError('PCL_UPSTREAM_UNAVAILABLE', { detail: 'The upstream service could not be reached.', stage: 'proxy', internal, cause });
}

function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
