import { Type, type Static } from '@sinclair/typebox';

const Field = Type.Union([
  Type.Literal('san-uri'), Type.Literal('san-dns'), Type.Literal('san-email'),
  Type.Literal('subject-cn'), Type.Literal('subject-o'), Type.Literal('subject-ou'), Type.Literal('thumbprint'),
], { description: 'A certificate attribute: a subjectAltName type, a subject attribute, or the SHA-256 thumbprint (base64url).' });

/** A mapping rule: a certificate whose `field` matches `value` gets these scopes and roles. */
export const CertRuleSchema = Type.Object({
  field: Field,
  value: Type.String({ minLength: 1, description: 'Exact value, or a prefix followed by "*" (e.g. "spiffe://example.org/billing/*"). No regexes: matching stays linear.' }),
  scopes: Type.Array(Type.String(), { default: [] }),
  roles: Type.Array(Type.String(), { default: [] }),
}, { additionalProperties: false });

/**
 * Config of one mutual-TLS security scheme (`kind: mtls`). The listener verifies the chain
 * and CRLs (server.tls.clientCa / crl); this maps a verified certificate to a principal.
 */
export const MtlsProviderSchema = Type.Object({
  kind: Type.Literal('mtls'),
  identity: Type.Array(Field, { minItems: 1, default: ['san-uri', 'san-dns', 'subject-cn'], description: 'Attributes tried in order; the first present with exactly one value becomes the principal id.' }),
  rules: Type.Array(CertRuleSchema, { default: [], description: 'Every matching rule adds its scopes and roles.' }),
  requireRule: Type.Boolean({ default: false, description: 'Refuse a verified certificate that matches no rule (an allow-list of clients).' }),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm named in the WWW-Authenticate challenge. Default: the authn stage realm.' })),
}, { additionalProperties: false });

export type MtlsProviderConfig = Static<typeof MtlsProviderSchema>;
export type CertField = Static<typeof Field>;
export type CertRule = Static<typeof CertRuleSchema>;
