import { Type, type Static } from '@sinclair/typebox';

const Severity = Type.Union([Type.Literal('info'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);

export const GROUP_BY_PATTERN = '^(client(/([0-9]|[1-9][0-9]|1[0-2][0-9]))?|principal|api|operationId|reason|kind|stage|scheme)$';

export const AlertRuleSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,40}$', description: 'Unique rule name; the `rule` label of the alert metrics.' }),
  kinds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Security event kinds counted; "*" matches any characters.' }),
  where: Type.Object({
    reason: Type.Optional(Type.Array(Type.String(), { description: 'Only events with one of these reasons.' })),
    api: Type.Optional(Type.Array(Type.String(), { description: 'Only events of these APIs.' })),
    operationId: Type.Optional(Type.Array(Type.String(), { description: 'Only events of these operations.' })),
    stage: Type.Optional(Type.Array(Type.String(), { description: 'Only events raised by these stages.' })),
    minSeverity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], { description: 'Only events at or above this severity.' })),
  }, { additionalProperties: false, default: {}, description: 'Filter: every given field must match.' }),
  threshold: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Fires when MORE than this many matching events fall in the window for one group.' }),
  windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'Sliding window length; counted in tenths of the window.' }),
  groupBy: Type.Array(Type.String({ pattern: GROUP_BY_PATTERN }), {
    default: [], maxItems: 4,
    description: 'Event fields counted separately: client, client/N (the address prefix of N bits, e.g. client/24), principal, api, operationId, reason, kind, stage, scheme. [] = one count for all.',
  }),
  maxGroups: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Groups tracked at most; the least recently seen is forgotten beyond this (memory stays bounded).' }),
  cooldownSeconds: Type.Integer({ minimum: 0, maximum: 604_800, default: 300, description: 'After firing for a group, the rule stays silent for that group this long (deduplication).' }),
  severity: Type.Union([Severity], { default: 'high', description: 'Severity of the alert.' }),
  notify: Type.Array(Type.String(), { minItems: 1, description: 'Names of alerts.webhooks to deliver to.' }),
}, { additionalProperties: false });

export const AlertWebhookSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,40}$', description: 'Name used by rules\' notify lists.' }),
  url: Type.String({ pattern: '^https?://', description: 'Receiver URL.' }),
  format: Type.Union([Type.Literal('json'), Type.Literal('slack')], { default: 'json', description: 'json: the alert object; slack: an incoming-webhook payload ({ text, blocks }).' }),
  secret: Type.String({ default: '', description: 'HMAC-SHA256 key, signed as the webhook sink does; "" = unsigned (Slack does not check).' }),
  headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers.' }),
  queueLimit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000, description: 'Alerts held in memory; beyond this they are dropped and counted.' }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 100, default: 5, description: 'Retries with exponential backoff; then the alert is dropped and counted.' }),
  backoffMs: Type.Integer({ minimum: 1, default: 500, description: 'First retry delay; doubles per retry.' }),
  timeoutMs: Type.Integer({ minimum: 1, default: 5_000, description: 'One delivery attempt taking longer fails.' }),
}, { additionalProperties: false });

/** The `alerts` section: threshold rules over the security event stream. */
export const AlertsSchema = Type.Object({
  rules: Type.Array(AlertRuleSchema, { default: [], description: 'Alert rules.' }),
  webhooks: Type.Array(AlertWebhookSchema, { default: [], description: 'Where alerts go.' }),
}, { additionalProperties: false, default: {} });

export type AlertsConfig = Static<typeof AlertsSchema>;
export type AlertRuleConfig = Static<typeof AlertRuleSchema>;
export type AlertWebhookConfig = Static<typeof AlertWebhookSchema>;
