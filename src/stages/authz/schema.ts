import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

const Id = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.:-]*$', maxLength: 128 });
const Names = (description: string) => Type.Array(Type.String({ minLength: 1 }), { description });

/** Condition names or inline CEL expressions; all of them must be true. */
const When = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
  description: 'CEL: a name from `conditions` or an inline expression, or a list of them (all must be true). A condition that fails to evaluate (missing field, wrong type) counts as false for an allow rule and as true for a deny rule: errors never grant access.',
});

/** Which operations a rule targets. Neither key: every operation except admin ones. */
const Target = {
  operations: Type.Optional(Names('operationIds this rule targets; "*" means every operation that is not an admin operation (admin operations must be named, or targeted by tag).')),
  tags: Type.Optional(Names('OpenAPI tags this rule targets (admin tags included).')),
  roles: Type.Optional(Names('The rule applies only to principals with one of these roles; absent: to every caller, anonymous included.')),
};

/** One request-side rule (ABAC, BOLA). */
export const AuthzRuleSchema = Type.Object({
  id: Id,
  effect: Type.Union([Type.Literal('allow'), Type.Literal('deny')], { default: 'allow', description: 'deny rules are evaluated first; any deny rule that matches refuses the request. Then the first matching allow rule (or `roles` grant) lets it through.' }),
  ...Target,
  when: Type.Optional(When),
}, { additionalProperties: false });

/** One response-side ownership check (object-level authorization on the upstream's JSON). */
export const AuthzResponseRuleSchema = Type.Object({
  id: Id,
  ...Target,
  items: Type.Optional(Type.String({ pattern: '^(/.*)?$', description: 'JSON pointer to an array in the response body ("" = the body itself): `when` is evaluated for every element, bound to `item`. Absent: `when` is evaluated once over `response`.' })),
  when: When,
  action: Type.Union([Type.Literal('block'), Type.Literal('filter')], { default: 'block', description: 'block: a failed check replaces the response with 403 PCL_AUTHZ_DENIED. filter (with `items` only): elements that fail are removed from the list.' }),
}, { additionalProperties: false });

/** RBAC grant: the operations a role may call. */
export const RoleGrantSchema = Type.Object({
  operations: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'operationIds; "*" = every non-admin operation.' }),
  tags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'OpenAPI tags (an admin tag here grants the admin operations carrying it).' }),
}, { additionalProperties: false });

/**
 * Authorization of one API or operation: RBAC grants, CEL rules (ABAC and object-level
 * checks on the request) and ownership checks on the response. Compiled at load.
 */
export const AuthzSchema = Type.Object({
  mode: ModeSchema,
  defaultDeny: Type.Boolean({ default: true, description: 'Refuse operations that no allow rule or role grant targets. false lets them through (admin operations are still refused without a rule).' }),
  adminTags: Type.Array(Type.String({ minLength: 1 }), { default: ['admin'], description: 'Operations with one of these tags are admin operations: denied unless a rule or grant names them (by operationId or tag); "*" never covers them.' }),
  adminExtension: Type.String({ minLength: 1, default: 'x-portcullis-admin', description: 'Operation extension marking an admin operation (`x-portcullis-admin: true`).' }),
  conditions: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ minLength: 1 }), {
    default: {},
    // Without this, a name not matching the pattern would pass unchecked.
    additionalProperties: false,
    description: 'Named, reusable CEL expressions over `principal`, `request` (and `response`, `item` in response rules), referenced by name from `when`.',
  }),
  roles: Type.Record(Type.String({ minLength: 1 }), RoleGrantSchema, { default: {}, description: 'RBAC: role → operations it may call (decided by rule id `role:<name>`). Roles come from principal.roles (token claim, API key metadata, certificate mapping).' }),
  rules: Type.Array(AuthzRuleSchema, { default: [], description: 'Request-side rules, deny first, then allow.' }),
  maxResponseBodySize: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest response body buffered for the response rules; a larger 2xx body on an operation with response rules is refused (403): ownership that cannot be checked is not granted.' }),
  responseRules: Type.Array(AuthzResponseRuleSchema, { default: [], description: 'Response-side ownership checks on 2xx JSON bodies; the gateway buffers the response body for operations they target.' }),
}, { additionalProperties: false });

export type AuthzConfig = Static<typeof AuthzSchema>;
export type AuthzRule = Static<typeof AuthzRuleSchema>;
export type AuthzResponseRule = Static<typeof AuthzResponseRuleSchema>;
