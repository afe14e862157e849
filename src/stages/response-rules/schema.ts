import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

/** A status, a class (`4XX`) or an inclusive range (`400-499`). */
const StatusPattern = Type.Union([
  Type.Integer({ minimum: 100, maximum: 599 }),
  Type.String({ pattern: '^([1-5]XX|[1-5][0-9]{2}-[1-5][0-9]{2})$' }),
], { description: 'A status (404), a class ("5XX") or an inclusive range ("400-499").' });

/** What a rule looks at. Every given part must match; an empty match matches every upstream response. */
export const RuleMatchSchema = Type.Object({
  status: Type.Optional(Type.Array(StatusPattern, { minItems: 1, maxItems: 32, description: 'Statuses that match (any one).' })),
  contentType: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+|\\*)$', maxLength: 128 }), { minItems: 1, maxItems: 16, description: 'Media types (essence, lower case; `text/*` for a whole type) that match; a response without Content-Type matches none.' })),
  when: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'A CEL condition over `response` (status, headers, body: the parsed JSON body, or null), `request` and `principal`. Compiled at load; an evaluation error means "no match".' })),
}, { additionalProperties: false, default: {} });

/** A problem document rendered like the gateway's own errors (`type`, `title`, `status`, `code`, `instance`). */
export const ProblemBodySchema = Type.Object({
  code: Type.String({ pattern: '^PCL_[A-Z0-9_]+$', description: 'A client error code of the catalogue (docs/reference/errors.md); its title is used.' }),
  detail: Type.Optional(Type.String({ maxLength: 1024, description: 'Public detail text.' })),
}, { additionalProperties: false });

/** What a matching rule changes. */
export const RuleSetSchema = Type.Object({
  status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, description: 'The new status (the status a later `response-filter` judges).' })),
  headers: Type.Optional(Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,128}$' }), Type.Union([Type.String({ maxLength: 4096, pattern: '^[\\t\\x20-\\x7e]*$' }), Type.Null()]), { description: 'Headers to set (a string) or remove (null).' })),
  json: Type.Optional(Type.Unknown({ description: 'A literal JSON body (any JSON value); sent as application/json.' })),
  problem: Type.Optional(ProblemBodySchema),
  contentType: Type.Optional(Type.String({ maxLength: 128, pattern: '^[\\x20-\\x7e]+$', description: 'Content-Type of a `json` body (default application/json).' })),
}, { additionalProperties: false });

/** One response rule. Rules are tried in order; the first that matches applies, the rest are skipped. */
export const ResponseRuleSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Rule name, shown in findings and logs.' }),
  match: RuleMatchSchema,
  set: RuleSetSchema,
}, { additionalProperties: false });

/** The response-rules stage config (an API's or operation's `stages.response-rules`). */
export const ResponseRulesSchema = Type.Object({
  mode: ModeSchema,
  rules: Type.Array(ResponseRuleSchema, { default: [], maxItems: 64, description: 'Declarative rewrites of upstream responses, first match wins (an operation override replaces the list; `{ append: [...] }` adds to it).' }),
  maxBodySize: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest response body buffered when a rule reads (`when` names response.body) or replaces the body. A larger body is not buffered: a body-reading condition does not match it, and a rule that replaces the body answers 502 PCL_RESPONSE_CONTRACT_VIOLATION instead of letting the original through.' }),
}, { additionalProperties: false });

export type ResponseRulesConfig = Static<typeof ResponseRulesSchema>;
export type ResponseRuleConfig = Static<typeof ResponseRuleSchema>;
