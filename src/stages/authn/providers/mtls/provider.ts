import type { ClientCertificate, RequestContext } from '../../../../pipeline/context.js';
import type { StageDeps } from '../../../../pipeline/stage.js';
import type { AuthProvider, VerifyResult } from '../../provider.js';
import type { CertField, MtlsProviderConfig } from './schema.js';

const SAN_PREFIX: Partial<Record<CertField, string>> = { 'san-uri': 'URI:', 'san-dns': 'DNS:', 'san-email': 'email:' };
const SUBJECT_ATTR: Partial<Record<CertField, string>> = { 'subject-cn': 'CN', 'subject-o': 'O', 'subject-ou': 'OU' };

/**
 * The values of one attribute of a certificate.
 *
 * @example
 * certValues(cert, 'san-uri'); // ['spiffe://example.org/billing']
 */
export function certValues(cert: ClientCertificate, field: CertField): readonly string[] {
  if (field === 'thumbprint') return [cert.thumbprint];
  const san = SAN_PREFIX[field];
  if (san !== undefined) return cert.san.filter((s) => s.startsWith(san)).map((s) => s.slice(san.length));
  return cert.subject[SUBJECT_ATTR[field]!] ?? [];
}

// OpenSSL verification codes → stable reasons for events; anything else is an untrusted chain.
const REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'cert_expired',
  CERT_NOT_YET_VALID: 'cert_not_yet_valid',
  CERT_REVOKED: 'cert_revoked',
  UNABLE_TO_GET_CRL: 'crl_unavailable',
  CRL_HAS_EXPIRED: 'crl_expired',
};

/** Options for tests: an injected clock. */
export interface MtlsProviderOptions {
  readonly now?: () => number;
}

/**
 * Builds the mutual-TLS verifier of one security scheme. `absent` when the request came
 * without a client certificate; `failed` when the handshake's verification did not pass
 * (untrusted CA, expired, revoked) or no rule admits it; else a principal named by `identity`.
 *
 * @example
 * const p = createMtlsProvider('clientCert', { kind: 'mtls', identity: ['san-uri'], rules: [], requireRule: false, realm: 'api' }, deps);
 */
export function createMtlsProvider(scheme: string, config: MtlsProviderConfig, deps: StageDeps & { readonly realm?: string }, opts: MtlsProviderOptions = {}): AuthProvider {
  const now = opts.now ?? Date.now;
  const rules = config.rules.map((r) => ({
    ...r,
    test: r.value.endsWith('*') ? ((v: string) => v.startsWith(r.value.slice(0, -1))) : ((v: string) => v === r.value),
  }));
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme });

  const verify = (ctx: RequestContext): VerifyResult => {
    const cert = ctx.client.certificate;
    if (cert === undefined) return { kind: 'absent' };
    if (!cert.authorized) return failed(REASONS[cert.authorizationError ?? ''] ?? 'cert_untrusted');
    // The handshake checked validity already; checking again costs nothing and survives a
    // long-lived keep-alive connection outliving its certificate.
    const t = now();
    if (t >= cert.validTo) return failed('cert_expired');
    if (t < cert.validFrom) return failed('cert_not_yet_valid');
    let id: string | undefined;
    for (const field of config.identity) {
      const values = certValues(cert, field);
      if (values.length === 1 && values[0] !== '') { id = values[0]; break; }
      // Two values for the identity attribute are ambiguous: refuse rather than pick one.
      if (values.length > 1) return failed('ambiguous_identity');
    }
    if (id === undefined) return failed('no_identity');
    const scopes = new Set<string>();
    const roles = new Set<string>();
    let matched = false;
    for (const rule of rules) {
      if (!certValues(cert, rule.field).some(rule.test)) continue;
      matched = true;
      for (const s of rule.scopes) scopes.add(s);
      for (const r of rule.roles) roles.add(r);
    }
    if (config.requireRule && !matched) return failed('no_matching_rule');
    const issuer = cert.issuer.CN?.[0];
    return {
      kind: 'ok',
      principal: {
        id,
        kind: 'mtls',
        ...(issuer !== undefined ? { issuer } : {}),
        scopes: [...scopes],
        roles: [...roles],
        claims: { 'x5t#S256': cert.thumbprint, serialNumber: cert.serialNumber, san: cert.san },
        clientId: id,
      },
    };
  };

  return { scheme, kind: 'mtls', challenge: `Mutual realm="${config.realm ?? deps.realm ?? 'portcullis'}"`, verify };
}
