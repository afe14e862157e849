import { Type, type Static } from '@sinclair/typebox';

/** A security scheme whose opaque bearer tokens are checked with RFC 7662 token introspection. */
export const IntrospectionSchemeSchema = Type.Object({
  kind: Type.Literal('introspection', { description: 'Opaque OAuth 2.0 bearer tokens checked at the authorization server\'s introspection endpoint (RFC 7662).' }),
  endpoint: Type.String({ format: 'http-url', description: 'The introspection endpoint. https is required except for loopback addresses.' }),
  clientId: Type.String({ minLength: 1, description: 'Client id the gateway authenticates with (HTTP Basic, RFC 7662 2.1).' }),
  clientSecret: Type.String({ minLength: 1, description: 'Client secret (use ${ENV} or ${file:}).' }),
  issuer: Type.Optional(Type.String({ minLength: 1, description: 'When set, the response\'s `iss` must equal it; also the issuer used for subject revocation.' })),
  audiences: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'When set, the response\'s `aud` must contain one of them.' })),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'Timeout of one introspection call. A failed call fails the stage (see onError), never the token.' }),
  cacheTtlSeconds: Type.Integer({ minimum: 0, default: 60, description: 'How long an active result is reused (keyed by SHA-256 of the token), never beyond the token\'s `exp`. 0 disables.' }),
  negativeCacheSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 10, description: 'How long an inactive result is remembered, so a replayed bad token does not reach the server every time.' }),
  cacheMaxEntries: Type.Integer({ minimum: 0, default: 10_000, description: 'Bound of each result cache; the oldest entries are evicted first.' }),
  maxTokenBytes: Type.Integer({ minimum: 16, maximum: 65_536, default: 8_192, description: 'Longer tokens are refused without calling the endpoint.' }),
  scopeClaim: Type.String({ minLength: 1, default: 'scope', description: 'Response member holding the space-separated scopes.' }),
  requireCertificateBinding: Type.Boolean({ default: false, description: 'Every token must be certificate-bound (RFC 8705: the response\'s `cnf["x5t#S256"]`) and presented over mTLS with that certificate. Bound tokens are always checked, whatever this says.' }),
}, { additionalProperties: false });

export type IntrospectionSchemeConfig = Static<typeof IntrospectionSchemeSchema>;
