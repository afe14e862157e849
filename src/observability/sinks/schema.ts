import { Type, type Static, type TProperties } from '@sinclair/typebox';

/** Delivery settings every sink has: which events, and its queue. */
function delivery<P extends TProperties>(props: P, defaults: { batchSize: number; flushIntervalMs: number }) {
  return Type.Object({
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,40}$', description: 'Unique sink name; the `sink` label of the sink metrics.' }),
    kinds: Type.Array(Type.String({ minLength: 1 }), { default: ['*'], description: 'Security event kinds sent; "*" matches any characters.' }),
    minSeverity: Type.Union([Type.Literal('info'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], { default: 'info', description: 'Events below this severity are not sent.' }),
    queueLimit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Events held in memory; beyond this new events are dropped and counted (requests never wait).' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: defaults.batchSize, description: 'Events per delivery.' }),
    flushIntervalMs: Type.Integer({ minimum: 1, maximum: 60_000, default: defaults.flushIntervalMs, description: 'Longest wait before a partial batch is delivered.' }),
    maxRetries: Type.Integer({ minimum: 0, maximum: 100, default: 5, description: 'Retries of a failed batch (exponential backoff with jitter); then it is dropped and counted.' }),
    backoffMs: Type.Integer({ minimum: 1, default: 200, description: 'First retry delay; doubles per retry.' }),
    maxBackoffMs: Type.Integer({ minimum: 1, default: 30_000, description: 'Longest retry delay.' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 5_000, description: 'One delivery attempt taking longer fails (a hanging receiver cannot stall the queue).' }),
    sampling: Type.Optional(Type.Object({
      burst: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10, description: 'Events of one kind, client, API and operation sent per interval; the rest are counted.' }),
      intervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000, description: 'Length of an interval; at its end one `events.suppressed` summary per flooded key carries the count.' }),
      maxKeys: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Keys tracked per interval; beyond this, new keys share one overflow summary.' }),
    }, { additionalProperties: false, description: 'Off by default: the sink gets every event. When set, floods are sampled and summarised (metrics stay exact).' })),
    ...props,
  }, { additionalProperties: false });
}

export const SyslogSinkSchema = delivery({
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], { default: 'tcp', description: 'udp (RFC 5426, one message per datagram), tcp or tls (RFC 6587 / 5425 octet-counting framing).' }),
  host: Type.String({ minLength: 1, description: 'Receiver host.' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 514, description: 'Receiver port (usually 514 for udp/tcp, 6514 for tls).' }),
  facility: Type.Integer({ minimum: 0, maximum: 23, default: 10, description: 'Syslog facility (10 = authpriv, 13 = log audit, 16-23 = local0-7).' }),
  appName: Type.String({ default: 'portcullis', description: 'APP-NAME of the syslog header.' }),
  hostname: Type.String({ default: '', description: 'HOSTNAME of the syslog header; "" = this host\'s name.' }),
  maxMessageBytes: Type.Integer({ minimum: 480, maximum: 65_000, default: 2048, description: 'Longer messages are cut (udp: keep datagrams unfragmented).' }),
  ca: Type.String({ default: '', description: 'tls: PEM CA file (relative to the config) that the receiver\'s certificate must chain to; "" = the system CAs.' }),
  cert: Type.String({ default: '', description: 'tls: PEM client certificate file, when the receiver asks for one.' }),
  key: Type.String({ default: '', description: 'tls: PEM private key file of cert.' }),
  serverName: Type.String({ default: '', description: 'tls: name checked against the receiver\'s certificate; "" = host.' }),
}, { batchSize: 100, flushIntervalMs: 100 });

export const FileSinkSchema = delivery({
  path: Type.String({ minLength: 1, description: 'JSON lines file (relative to the config file), one event per line.' }),
  maxBytes: Type.Integer({ minimum: 1024, default: 10_485_760, description: 'Rotate when the file would grow beyond this many bytes.' }),
  keep: Type.Integer({ minimum: 0, maximum: 100, default: 5, description: 'Rotated files kept (path.1 newest ... path.N); older ones are deleted.' }),
}, { batchSize: 500, flushIntervalMs: 200 });

export const WebhookSinkSchema = delivery({
  url: Type.String({ pattern: '^https?://', description: 'Receiver URL; each batch is POSTed as {"events":[...]}.' }),
  secret: Type.String({ default: '', description: 'HMAC-SHA256 key: X-Portcullis-Signature: sha256=hex(HMAC(secret, timestamp + "." + body)) with X-Portcullis-Timestamp (Unix seconds). Use ${ENV} or ${file:...}. "" = unsigned.' }),
  headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers (e.g. an Authorization header via ${ENV}).' }),
}, { batchSize: 100, flushIntervalMs: 1_000 });

export const OtlpSinkSchema = delivery({
  endpoint: Type.String({ pattern: '^https?://', description: 'OTLP/HTTP base URL, e.g. http://collector:4318; logs are POSTed (JSON) to <endpoint>/v1/logs.' }),
  headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers (e.g. an API key via ${ENV}).' }),
  serviceName: Type.String({ default: 'portcullis', description: 'service.name resource attribute.' }),
}, { batchSize: 200, flushIntervalMs: 1_000 });

/** The `sinks` section: SIEM export of security events. */
export const SinksSchema = Type.Object({
  syslog: Type.Array(SyslogSinkSchema, { default: [], description: 'Syslog receivers (RFC 5424, CEF payload).' }),
  file: Type.Array(FileSinkSchema, { default: [], description: 'JSON lines files with size-based rotation.' }),
  webhook: Type.Array(WebhookSinkSchema, { default: [], description: 'HTTP receivers of JSON batches, HMAC-signed.' }),
  otlp: Type.Array(OtlpSinkSchema, { default: [], description: 'OpenTelemetry collectors (OTLP/HTTP JSON logs).' }),
}, { additionalProperties: false, default: {} });

export type SinksConfig = Static<typeof SinksSchema>;
export type SyslogSinkConfig = Static<typeof SyslogSinkSchema>;
export type FileSinkConfig = Static<typeof FileSinkSchema>;
export type WebhookSinkConfig = Static<typeof WebhookSinkSchema>;
export type OtlpSinkConfig = Static<typeof OtlpSinkSchema>;
/** What every sink config has. */
export type DeliveryConfig = Pick<SyslogSinkConfig, 'name' | 'kinds' | 'minSeverity' | 'sampling' | 'queueLimit' | 'batchSize' | 'flushIntervalMs' | 'maxRetries' | 'backoffMs' | 'maxBackoffMs' | 'timeoutMs'>;
