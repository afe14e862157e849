import { Type, type Static } from '@sinclair/typebox';

/** Signature algorithms a JWT issuer may be allowed to use. `none` is not one of them, ever. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512'] as const;
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

const Algorithm = Type.Union(JWT_ALGORITHMS.map((a) => Type.Literal(a)));

/** One trusted token issuer: where its keys come from and what its tokens must say. */
export const JwtIssuerSchema = Type.Object({
  issuer: Type.String({ minLength: 1, description: 'The exact `iss` value of this issuer\'s tokens (compared byte for byte).' }),
  audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Accepted `aud` values; the token must name at least one. Required: a token minted for another service is refused.' }),
  algorithms: Type.Array(Algorithm, { minItems: 1, uniqueItems: true, default: DEFAULT_ALGORITHMS, description: 'Signature algorithms accepted from this issuer. HS256/384/512 only together with `secret` or `secretKey`, never with keys from a JWKS or a file.' }),
  jwksUri: Type.Optional(Type.String({ format: 'http-url', description: 'URL of the issuer\'s JWKS. https is required except for loopback addresses.' })),
  discovery: Type.Optional(Type.Boolean({ description: 'Find the JWKS through OpenID Connect discovery at `<issuer>/.well-known/openid-configuration`; the document\'s `issuer` must equal `issuer`.' })),
  discoveryUrl: Type.Optional(Type.String({ format: 'http-url', description: 'Explicit OpenID Connect discovery document URL (implies discovery).' })),
  keysFile: Type.Optional(Type.String({ minLength: 1, description: 'File (relative to the config) holding a JWKS (JSON) or one PEM public key or certificate. Watched: a changed file is re-read without a config reload (see keysFileCheckMs); a bad new file is reported and the previous keys kept.' })),
  secret: Type.Optional(Type.String({ minLength: 32, description: 'Shared secret for HS256/384/512 (at least 32 bytes; use ${ENV}, ${file:} or ${vault:}). Only for issuers without public keys.' })),
  secretKey: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'Instead of secret: a keyring key (keyring.keys.<name>, at least 32 bytes) holding the HS secret. Every version the keyring keeps verifies, so tokens signed with the previous secret stay valid through a rotation (the overlap is the key\'s `versions`).' })),
  typ: Type.Optional(Type.String({ minLength: 1, description: 'Required `typ` header, e.g. `at+jwt` for RFC 9068 access tokens. Unset: not checked.' })),
  clockToleranceSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'Clock skew allowed when checking `exp`, `nbf` and `iat`.' }),
  maxTokenAgeSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Refuse tokens whose `iat` is older than this (requires `iat`).' })),
  requireCertificateBinding: Type.Boolean({ default: false, description: 'Every token of this issuer must be certificate-bound (RFC 8705 `cnf["x5t#S256"]`) and presented over mTLS with that certificate. Bound tokens are always checked, whatever this says.' }),
}, { additionalProperties: false });

/** JWKS fetching and caching, shared by every issuer of the scheme. */
export const JwksOptionsSchema = Type.Object({
  defaultCacheSeconds: Type.Integer({ minimum: 1, default: 300, description: 'How long a JWKS is fresh when the response has no Cache-Control max-age.' }),
  minCacheSeconds: Type.Integer({ minimum: 0, default: 60, description: 'Lower bound applied to Cache-Control max-age.' }),
  maxCacheSeconds: Type.Integer({ minimum: 1, default: 86_400, description: 'Upper bound applied to Cache-Control max-age.' }),
  refreshCooldownSeconds: Type.Number({ minimum: 0.1, default: 30, description: 'At most one JWKS fetch per issuer in this window, whatever the number of unknown `kid`s presented: a flood of random kids cannot hammer the issuer.' }),
  maxStaleSeconds: Type.Integer({ minimum: 0, default: 86_400, description: 'How long the last good JWKS keeps being used while the issuer cannot be reached (stale-while-error).' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'Timeout of one JWKS or discovery request.' }),
  maxBytes: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 1_048_576, description: 'Largest JWKS or discovery document accepted.' }),
}, { additionalProperties: false, default: {} });

/** A security scheme verified as JWT bearer tokens (RFC 8725 rules always apply). */
export const JwtSchemeSchema = Type.Object({
  kind: Type.Literal('jwt', { description: 'JWT bearer tokens verified locally with the issuers\' keys.' }),
  issuers: Type.Array(JwtIssuerSchema, { minItems: 1, description: 'Trusted issuers; a token is matched to one by its `iss` claim, then verified with that issuer\'s keys and rules only.' }),
  maxTokenBytes: Type.Integer({ minimum: 256, maximum: 65_536, default: 8_192, description: 'Longer tokens are refused before any decoding.' }),
  cacheMaxEntries: Type.Integer({ minimum: 0, default: 10_000, description: 'Verified tokens remembered (by SHA-256 of the token) so repeat requests skip signature checks; 0 disables. Revocation is still checked on every request.' }),
  cacheTtlSeconds: Type.Integer({ minimum: 1, default: 300, description: 'Longest time a verified token is reused before being verified again; never beyond its `exp`.' }),
  scopeClaims: Type.Array(Type.String({ minLength: 1 }), { default: ['scope', 'scp'], description: 'Claims holding scopes: a space-separated string or an array of strings. The first present one is used.' }),
  rolesClaim: Type.String({ minLength: 1, default: 'roles', description: 'Claim holding the roles (array of strings or space-separated string).' }),
  keysFileCheckMs: Type.Integer({ minimum: 0, default: 1_000, description: 'How often (at most) a `keysFile` is checked for changes, on the request path (no timer). A change also drops the verified-token cache, so a key removed from the file stops working at once.' }),
  jwks: JwksOptionsSchema,
}, { additionalProperties: false });

export type JwtIssuerConfig = Static<typeof JwtIssuerSchema>;
export type JwksOptions = Static<typeof JwksOptionsSchema>;
export type JwtSchemeConfig = Static<typeof JwtSchemeSchema>;
