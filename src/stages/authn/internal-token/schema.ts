import { Type, type Static } from '@sinclair/typebox';

/** What the upstream learns about the principal from the internal token. */
const PrincipalFact = Type.Union([Type.Literal('scopes'), Type.Literal('roles'), Type.Literal('clientId'), Type.Literal('kind'), Type.Literal('issuer')]);

/**
 * A short-lived JWT the gateway signs for the upstream, stating who was authenticated. The
 * upstream verifies it with the gateway's public key (JWKS on the admin listener, or the
 * public half of `keyFile`) instead of trusting plain headers.
 */
export const InternalTokenSchema = Type.Object({
  header: Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$', maxLength: 128, default: 'x-portcullis-token', description: 'Request header carrying the token to the upstream. A client-sent copy is always removed.' }),
  algorithm: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')], { default: 'EdDSA', description: 'Signature algorithm: EdDSA (Ed25519) or ES256 (P-256).' }),
  keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM (PKCS#8) private key of the algorithm\'s type: a file (relative to the config file) or the PEM itself (e.g. ${vault:portcullis/internal-token#pem}). Unset: a key is generated at start, per process; fine for one instance, but several instances or workers each sign with their own key (upstreams must then fetch each one\'s JWKS), and a restart changes it.' })),
  keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The `kid` header. Default: the key\'s RFC 7638 thumbprint.' })),
  issuer: Type.String({ minLength: 1, default: 'portcullis', description: 'The `iss` claim.' }),
  audience: Type.String({ minLength: 1, description: 'The `aud` claim: the upstream this token is for (it must check it).' }),
  ttlSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60, description: 'Lifetime (`exp` - `iat`). A token is reused for the same principal while more than half of it is left.' }),
  include: Type.Array(PrincipalFact, { uniqueItems: true, default: ['scopes', 'roles', 'clientId', 'kind', 'issuer'], description: 'Principal facts added as claims: scopes → `scope` (space-separated), roles → `roles`, clientId → `client_id`, kind → `auth_kind`, issuer → `auth_iss` (the original issuer). `sub` is always the principal id.' }),
  claims: Type.Array(Type.String({ minLength: 1, pattern: '^(?!(iss|sub|aud|exp|iat|nbf|jti)$)' }), { default: [], description: 'Claims of the verified credential copied as they are (e.g. tenant_id). Registered claims (iss, sub, aud, exp, iat, nbf, jti) cannot be copied.' }),
}, { additionalProperties: false });

export type InternalTokenConfig = Static<typeof InternalTokenSchema>;
