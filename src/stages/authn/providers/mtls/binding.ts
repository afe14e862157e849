import { timingSafeEqualString } from '../../../../util/timing-safe.js';
import type { ClientCertificate } from '../../../../pipeline/context.js';

/**
 * RFC 8705 certificate-bound access tokens: when a token's claims carry `cnf["x5t#S256"]`,
 * the request must come over mTLS with exactly that certificate. Returns `ok` when the token
 * is not bound, `bound` when it is and matches, or a failure reason.
 *
 * @example
 * const b = checkCertificateBinding(payload, ctx.client.certificate?.thumbprint);
 * if (b !== 'ok' && b !== 'bound') return { kind: 'failed', reason: b, scheme };
 */
export function checkCertificateBinding(claims: Readonly<Record<string, unknown>>, certThumbprint: string | undefined): 'ok' | 'bound' | 'cert_required' | 'cert_mismatch' | 'bad_cnf' {
  const cnf = claims.cnf;
  if (cnf === undefined) return 'ok';
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return 'bad_cnf';
  const expected = (cnf as Record<string, unknown>)['x5t#S256'];
  if (expected === undefined) return 'ok';
  if (typeof expected !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(expected)) return 'bad_cnf';
  if (certThumbprint === undefined) return 'cert_required';
  return timingSafeEqualString(expected, certThumbprint) ? 'bound' : 'cert_mismatch';
}

/**
 * The binding verdict of one token for one request as a failure reason, or undefined when the
 * token may be used: bound tokens must match the verified certificate; with `required`, a
 * token without `cnf["x5t#S256"]` fails too (`cnf_required`).
 *
 * @example
 * const bad = bindingFailure(principal.claims, ctx.client.certificate, issuerRequiresBinding);
 * if (bad !== undefined) return failed(bad);
 */
export function bindingFailure(claims: Readonly<Record<string, unknown>>, cert: ClientCertificate | undefined, required: boolean): string | undefined {
  const b = checkCertificateBinding(claims, verifiedThumbprint(cert));
  if (b === 'bound') return undefined;
  if (b === 'ok') return required ? 'cnf_required' : undefined;
  return b;
}

/** The thumbprint of a presented certificate that passed verification, else undefined. */
export function verifiedThumbprint(cert: ClientCertificate | undefined): string | undefined {
  return cert !== undefined && cert.authorized ? cert.thumbprint : undefined;
}
