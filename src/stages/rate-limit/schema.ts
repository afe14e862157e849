import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema, OnErrorSchema } from '../../config/common.js';
import { ALGORITHMS } from './algorithms/types.js';
import { KEY_PART_PATTERN, KEY_PARTS_DESCRIPTION } from '../../pipeline/request-key.js';

const Duration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

/** One limit. Several may apply to one request: all must pass, the tightest decides the headers. */
export const LimitSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Policy name, shown in RateLimit-Policy and part of the state key.' }),
  limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Requests (cost units) allowed per window.' }),
  window: Duration('1m', 'Window length (e.g. 500ms, 10s, 1m, 1h, 1d). Ignored when period is set.'),
  algorithm: Type.Union(ALGORITHMS.map((a) => Type.Literal(a)), { default: 'sliding-window', description: 'token-bucket (bursts with an average), gcra (smooth pacing), fixed-window (cheap; allows a double burst at window edges), sliding-window (counter approximation, no edge burst), sliding-log (exact; state grows with limit, so limit is capped at 10000).' }),
  burst: Type.Optional(Type.Integer({ minimum: 1, description: 'token-bucket capacity / gcra burst; default: limit (token-bucket), 1 (gcra).' })),
  period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')], { description: 'Makes this limit a quota per UTC day or month (a calendar-aligned fixed window); with the Redis store it survives restarts.' })),
  appliesTo: Type.Union([Type.Literal('all'), Type.Literal('authenticated'), Type.Literal('anonymous')], { default: 'all', description: 'Which clients the limit counts: all, only those with a principal, or only anonymous ones.' }),
  phase: Type.Union([Type.Literal('limit'), Type.Literal('pre-auth')], { default: 'limit', description: 'pre-auth runs before authentication, keyed by client IP (for appliesTo all/anonymous): cheap flood protection in front of token verification.' }),
  scope: Type.Union([Type.Literal('api'), Type.Literal('operation')], { default: 'api', description: 'api: one counter per client for the whole API. operation: one counter per client per operation.' }),
  tiers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Type.Integer({ minimum: 1 }), { default: {}, description: 'Limit per tier, taken from the principal claim named by tierClaim; clients of an unlisted tier get `limit`.' }),
  cost: Type.Integer({ minimum: 1, default: 1, description: 'Units one request consumes.' }),
  key: Type.Optional(Type.Array(Type.String({ pattern: KEY_PART_PATTERN }), { minItems: 1, maxItems: 8, description: `${KEY_PARTS_DESCRIPTION} Default: the client (principal id, API key id, verified certificate, else IP). A limit whose key reads the body is checked in the inspect phase, once the body is read (bounded by the body limit). Penalties apply to client-keyed limits only.` })),
  keyCase: Type.Union([Type.Literal('exact'), Type.Literal('fold')], { default: 'exact', description: 'fold: key values are NFKC-normalised, trimmed and lower-cased, so `Alice` and ` alice` share a counter (use it for usernames and e-mail addresses).' }),
  onError: Type.Optional(Type.Union(OnErrorSchema.anyOf, { description: 'When the store is unreachable: fail-closed answers 503 PCL_RATE_LIMIT_UNAVAILABLE; fail-open evaluates the limit on a local in-memory fallback. Default: the stage onError.' })),
}, { additionalProperties: false });

/** The rate-limit stage config (an API's or operation's `stages.rate-limit`). */
export const RateLimitSchema = Type.Object({
  mode: ModeSchema,
  onError: OnErrorSchema,
  limits: Type.Array(LimitSchema, { default: [], maxItems: 16, description: 'The limits of the API or operation (an operation override replaces the list; `{ append: [...] }` adds to it).' }),
  ipv6Prefix: Type.Integer({ minimum: 32, maximum: 128, default: 64, description: 'Anonymous IPv6 clients are counted per prefix of this length (one /64 is usually one subscriber).' }),
  tierClaim: Type.String({ minLength: 1, default: 'tier', description: 'Principal claim holding the client tier.' }),
  apiKeyClaim: Type.String({ minLength: 1, default: 'apiKeyId', description: 'Principal claim holding an API key id (used when the principal has no id).' }),
  concurrency: Type.Optional(Type.Object({
    limit: Type.Integer({ minimum: 1, description: 'In-flight requests allowed per client.' }),
    leaseSeconds: Type.Integer({ minimum: 1, default: 60, description: 'An in-flight slot expires after this long even if its release was lost (crash).' }),
  }, { additionalProperties: false })),
  penalty: Type.Object({
    enabled: Type.Boolean({ default: false, description: 'Block repeat violators for escalating periods (429 PCL_RATE_LIMIT_PENALTY).' }),
    allowStrikes: Type.Integer({ minimum: 0, default: 3, description: 'Denied requests tolerated before the first block.' }),
    ladder: Type.Array(Duration('1m', 'A block duration.'), { minItems: 1, maxItems: 10, default: ['1m', '10m', '1h'], description: 'Block durations for successive violations past the allowance; the last repeats.' }),
    decay: Duration('10m', 'One strike is forgiven per this long without a violation.'),
  }, { additionalProperties: false, default: {} }),
  risk: Type.Object({
    enabled: Type.Boolean({ default: false, description: 'Tighten the limits of clients whose risk score (raised by other stages\' security events: authentication failures, WAF hits, validation failures, authorization denials, bot detections; decaying with a 10 min half-life) reaches a band.' }),
    bands: Type.Array(Type.Object({
      score: Type.Number({ minimum: 0, description: 'Score from which the band applies (the highest band reached wins).' }),
      factor: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Every limit (and burst) of the client is multiplied by this, at least 1.' }),
    }, { additionalProperties: false }), { maxItems: 10, default: [{ score: 20, factor: 0.5 }, { score: 50, factor: 0.2 }, { score: 100, factor: 0.05 }], description: 'Risk bands and the factor each applies to the limits.' }),
    floor: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.05, description: 'The most risk may tighten a limit: a tightened limit is never below this fraction of the configured one (nor below 1). A band with a smaller factor is a config error. Allow-listed clients (the bot stage\'s `allow`) are never tightened.' }),
  }, { additionalProperties: false, default: {} }),
  maxKeys: Type.Integer({ minimum: 1000, default: 100_000, description: 'Bound of the in-memory state (and of the fail-open fallback); least recently used clients are evicted.' }),
}, { additionalProperties: false });

export type RateLimitConfig = Static<typeof RateLimitSchema>;
export type LimitConfig = Static<typeof LimitSchema>;
