import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';
import { KEY_PART_PATTERN } from '../../pipeline/request-key.js';

const Duration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

/** What a detector does when it fires. */
export const AnomalyActionSchema = Type.Union([
  Type.Literal('event'), Type.Literal('alert'), Type.Literal('tighten'), Type.Literal('step-up'), Type.Literal('block'),
], {
  default: 'event',
  description: 'event: an `anomaly.detected` security event only (shadow mode). alert: an `anomaly.alert` event at high severity, for an alerts rule with `kinds: [anomaly.alert]`. tighten: the event plus `riskPoints` on the client\'s risk score, so rate limits with `risk` bands tighten. step-up: later requests of the client need a verified one-time code (401 PCL_ANOMALY_STEP_UP_REQUIRED) for `duration`. block: later requests of the client get 403 PCL_ANOMALY_BLOCKED with Retry-After for `duration`. In `mode: monitor` every action is recorded but only events happen.',
});

const common = {
  enabled: Type.Boolean({ default: true }),
  action: AnomalyActionSchema,
  duration: Duration('15m', 'How long a block or step-up stands.'),
  riskPoints: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Points the `tighten` action adds to the client\'s risk score.' }),
};
const Z = (def: number) => Type.Number({ minimum: 1, maximum: 1000, default: def, description: 'Robust z score (deviation from the baseline in robust standard deviations) at which the detector fires.' });

export const AnomalyDetectorsSchema = Type.Object({
  exfiltration: Type.Object({
    ...common, z: Z(8),
    minRecords: Type.Integer({ minimum: 1, default: 200, description: 'Records returned to one client by one operation within one window below which nothing fires, whatever the baseline.' }),
    minBytes: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Likewise for response bytes (used when the records are not known).' }),
  }, { additionalProperties: false, default: {}, description: 'Data exfiltration: records or bytes per window far above the client\'s baseline for the operation (or, while that warms up, all clients\' baseline for it).' }),
  enumeration: Type.Object({
    ...common, z: Z(8),
    minDistinct: Type.Integer({ minimum: 2, default: 100, description: 'Distinct object ids (path parameters, estimated by HyperLogLog) in one window below which nothing fires.' }),
  }, { additionalProperties: false, default: {}, description: 'Object enumeration: many more distinct object ids per window than the client (or everyone) usually touches, sequential or not.' }),
  credentialSharing: Type.Object({
    ...common,
    maxNetworks: Type.Integer({ minimum: 1, maximum: 30, default: 4, description: 'Networks one credential may come from within `window`; one more fires.' }),
    window: Duration('10m', 'How long a network counts as recent.'),
    ipv4Prefix: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'IPv4 network size (a /24 is one site or one carrier NAT pool).' }),
    ipv6Prefix: Type.Integer({ minimum: 16, maximum: 128, default: 48, description: 'IPv6 network size (a /48 is one site).' }),
  }, { additionalProperties: false, default: {}, description: 'Credential sharing: one principal or API key from many networks at once. Clients identified by address are never judged.' }),
  probing: Type.Object({
    ...common, z: Z(6),
    minErrors: Type.Integer({ minimum: 1, default: 20, description: '4xx answers in one window below which nothing fires.' }),
    minOperations: Type.Integer({ minimum: 1, maximum: 32, default: 5, description: 'Distinct operations answering 4xx in one window below which nothing fires.' }),
  }, { additionalProperties: false, default: {}, description: 'Probing: a burst of 4xx across many operations, above the client\'s usual error count.' }),
  unusualMethod: Type.Object({
    ...common,
    warmupRequests: Type.Integer({ minimum: 1, default: 200, description: 'Requests a client makes before its methods are judged.' }),
  }, { additionalProperties: false, default: {}, description: 'A method this client has never used (DELETE from a read-only integration).' }),
  unusualHour: Type.Object({
    ...common,
    warmupRequests: Type.Integer({ minimum: 1, default: 300, description: 'Requests a client makes before its hours are judged.' }),
    minShare: Type.Number({ minimum: 0, maximum: 1, default: 0.002, description: 'Fires when less than this share of the client\'s requests fell within an hour (UTC) of now.' }),
  }, { additionalProperties: false, default: {}, description: 'A request at an hour of day this client is never active.' }),
}, { additionalProperties: false, default: {} });

/** `stages.anomaly`: behavioural baselines per client and operation, detectors and their actions. */
export const AnomalySchema = Type.Object({
  mode: ModeSchema,
  onError: Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], {
    default: 'fail-open',
    description: 'When the store cannot be read: fail-open (the default: detection is an extra layer and must not take the API down; the request passes untracked and a finding is recorded) or fail-closed (503 PCL_ANOMALY_UNAVAILABLE).',
  }),
  identity: Type.Array(Type.Array(Type.String({ pattern: KEY_PART_PATTERN }), { minItems: 1, maxItems: 4 }), {
    minItems: 1, maxItems: 6, default: [['principal'], ['apiKey'], ['ip']],
    description: 'Who a client is: candidate keys (each a list of key parts as in rate limits), the first the request has wins. The default: the principal, else the API key id, else the address (IPv6 per /64).',
  }),
  apiKeyClaim: Type.String({ default: 'apiKeyId', description: 'Principal claim holding an API key id (for the `apiKey` part).' }),
  window: Duration('1m', 'Length of one baseline window (rates are per window).'),
  warmupWindows: Type.Integer({ minimum: 1, maximum: 10_000, default: 10, description: 'Active windows a baseline needs before it is used to judge.' }),
  alpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.05, description: 'Weight of a new window in the EWMA baselines (0.05: about the last 20 active windows).' }),
  stateTtl: Duration('7d', 'A client not seen this long is forgotten (its state expires in the store).'),
  maxClients: Type.Integer({ minimum: 1, default: 10_000, description: 'Client states held in memory at once by this process (those with requests in flight); requests of further clients pass untracked until states are released.' }),
  records: Type.Object({
    pointer: Type.Optional(Type.String({ pattern: '^(/[^/]*)*$', description: 'JSON pointer to the array of records in response bodies (e.g. /items; "" for a top-level array). Set it to count records: the response body is then buffered up to maxBodySize.' })),
    maxBodySize: Type.Integer({ minimum: 1024, maximum: 67_108_864, default: 1_048_576, description: 'Largest response body buffered to count records; larger ones count bytes only.' }),
  }, { additionalProperties: false, default: {}, description: 'How returned records are counted. Without a pointer, a body another stage parsed anyway (response filter, authz ownership) is used when it is a top-level array.' }),
  realm: Type.Optional(Type.String({ description: 'Realm of the step-up challenge (default: the API name).' })),
  stepUpHeader: Type.String({ default: 'X-Portcullis-OTP', description: 'Header named in the step-up challenge (the authn stage\'s stepUp header).' }),
  detectors: AnomalyDetectorsSchema,
}, { additionalProperties: false });

export type AnomalyConfig = Static<typeof AnomalySchema>;
export type AnomalyAction = Static<typeof AnomalyActionSchema>;
