import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ModeSchema, OnErrorSchema } from '../../config/common.js';
import { PROVIDERS } from './providers/registry.js';
import { InternalTokenSchema } from './internal-token/schema.js';
import { StepUpSchema } from './providers/totp/schema.js';

const HEADER = '^([!#$%&\'*+.^_`|~0-9A-Za-z-]+)?$';
const HeaderName = (def: string, description: string) => Type.String({ pattern: HEADER, maxLength: 128, default: def, description });

/** OpenAPI Security Requirement Objects: alternatives (any one) of combinations (all of them), with required scopes. */
export const SecurityRequirementsSchema = Type.Array(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String())), {
  description: 'Overrides the OpenAPI `security` of the operations this config applies to, in the same form: `[{ bearerAuth: [books:read] }, { apiKey: [] }]`. `[]` makes them public. Required for APIs without an OpenAPI document.',
});

/** Which principal facts are sent to the upstream, under which headers. Client-sent copies are always removed first. */
export const ForwardSchema = Type.Object({
  headers: Type.Object({
    subject: HeaderName('x-portcullis-subject', 'Header carrying the principal id (JWT `sub`, introspection `sub`, API key client id). Empty: not sent.'),
    issuer: HeaderName('x-portcullis-issuer', 'Header carrying the issuer. Empty: not sent.'),
    scopes: HeaderName('x-portcullis-scopes', 'Header carrying the scopes, space-separated. Empty: not sent.'),
    roles: HeaderName('x-portcullis-roles', 'Header carrying the roles, comma-separated. Empty: not sent.'),
    clientId: HeaderName('x-portcullis-client-id', 'Header carrying the OAuth client id (`client_id`/`azp`). Empty: not sent.'),
    kind: HeaderName('x-portcullis-auth-kind', 'Header carrying the credential kind (jwt, introspection, api-key, mtls). Empty: not sent.'),
  }, { additionalProperties: false, default: {} }),
  claims: Type.Record(Type.String({ pattern: HEADER, minLength: 1 }), Type.String({ minLength: 1 }), {
    default: {},
    description: 'Extra headers from principal claims: `{ x-tenant: tenant_id }`. Arrays are joined with commas; objects are not sent.',
  }),
  strip: Type.Array(Type.String({ pattern: HEADER, minLength: 1 }), { default: [], description: 'More client headers to remove before the upstream sees the request (e.g. a legacy `x-user-id` the upstream trusts).' }),
  authorization: Type.Boolean({ default: true, description: 'Pass the client\'s Authorization header on to the upstream. Set false when the upstream should trust only the forwarded principal headers.' }),
  internalToken: Type.Optional(InternalTokenSchema),
}, { additionalProperties: false, default: {} });

/** Which facts of the principal satisfy the values of an OpenAPI security requirement (`bearerAuth: [admin]`). */
export const RequirementsFromSchema = Type.Array(Type.String({ pattern: '^(scopes|roles|claim:.{1,128})$' }), {
  minItems: 1, maxItems: 8, default: ['scopes'],
  description: 'What satisfies the values of this scheme\'s security requirements (`security: [{ bearerAuth: [admin] }]`): scopes (the token scopes, the OAuth meaning), roles (the principal roles, e.g. the JWT rolesClaim), claim:NAME (a claim holding a string, a space-separated string or a list, e.g. claim:role). Each required value must be found in one of them. Default: scopes only.',
});

/** A provider schema with the `requirementsFrom` option every scheme shares. */
function withRequirementsFrom(schema: TSchema): TSchema {
  const s = schema as TSchema & { properties?: Record<string, unknown> };
  return { ...s, properties: { ...s.properties, requirementsFrom: RequirementsFromSchema } } as TSchema;
}

/**
 * One scheme's verifier config, chosen by `kind`. Written as if/then per kind rather than
 * anyOf so that Ajv applies each provider schema's defaults (it ignores defaults under anyOf)
 * and reports errors against the right provider's fields.
 */
const SchemeSchema = Type.Unsafe<{ kind: string } & Record<string, unknown>>({
  type: 'object',
  required: ['kind'],
  properties: { kind: { type: 'string', enum: PROVIDERS.map((p) => p.kind), description: 'Verifier kind.' } },
  allOf: PROVIDERS.map((p) => ({ if: { type: 'object', properties: { kind: { const: p.kind } }, required: ['kind'] }, then: withRequirementsFrom(p.schema) })),
});

/**
 * Config of the `authn` stage: which concrete verifier serves each OpenAPI security scheme,
 * and how the resulting principal is forwarded.
 */
export const AuthnSchema = Type.Object({
  mode: ModeSchema,
  onError: OnErrorSchema,
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm of the WWW-Authenticate challenges. Default: the API name.' })),
  schemes: Type.Record(Type.String({ minLength: 1 }), SchemeSchema, {
    default: {},
    description: 'Verifier per security scheme name (the keys of components.securitySchemes), chosen by `kind`: jwt, introspection, api-key, mtls, http-signature. Every scheme an operation requires must have one (checked at load).',
  }),
  security: Type.Optional(SecurityRequirementsSchema),
  forward: ForwardSchema,
  requireClientCertificate: Type.Optional(Type.Boolean({ description: 'The operations this config applies to need a client certificate that verified against server.tls.clientCa, whatever their security requirements: none is 401 PCL_AUTHN_REQUIRED, an unverified one 401 PCL_AUTHN_INVALID (challenge `Mutual`). For a whole listener use server.tls.clientCertificate: require.' })),
  stepUp: Type.Optional(StepUpSchema),
  stepUpRequired: Type.Optional(Type.Boolean({ description: 'Whether the operations this config applies to need TOTP step-up (`stepUp`). Unset: those whose OpenAPI operation says `x-portcullis-step-up: true`.' })),
}, { additionalProperties: false });

export type AuthnConfig = Static<typeof AuthnSchema>;
export type ForwardConfig = Static<typeof ForwardSchema>;
