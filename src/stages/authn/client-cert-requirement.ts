import { GatewayError } from '../../errors/index.js';
import type { RequestContext } from '../../pipeline/context.js';

/** A refused request: the client-facing rejection and the reason for the security event. */
export interface CertificateRefusal {
  readonly error: GatewayError;
  readonly reason: 'cert_required' | 'cert_invalid';
}

/**
 * The per-API/operation client certificate requirement (`requireClientCertificate: true`):
 * the request must come over a connection whose client certificate verified against
 * `server.tls.clientCa` (and its CRLs). It applies whatever the security requirements say,
 * public operations included, and before any credential is looked at. A listener-wide
 * requirement is `server.tls.clientCertificate: require` instead (handshake failure).
 *
 * @example
 * const refusal = clientCertificateRefusal(ctx, 'books');
 * if (refusal !== undefined) return reject(refusal.error);
 */
export function clientCertificateRefusal(ctx: RequestContext, realm: string): CertificateRefusal | undefined {
  const cert = ctx.client.certificate;
  if (cert !== undefined && cert.authorized) return undefined;
  const missing = cert === undefined;
  return {
    reason: missing ? 'cert_required' : 'cert_invalid',
    error: new GatewayError(missing ? 'PCL_AUTHN_REQUIRED' : 'PCL_AUTHN_INVALID', {
      detail: 'This operation requires a valid client certificate.',
      headers: { 'www-authenticate': `Mutual realm="${realm}"` },
      stage: 'authn',
      internal: missing ? 'no client certificate' : `client certificate not verified: ${cert.authorizationError ?? 'unknown'}`,
    }),
  };
}
