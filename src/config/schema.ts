import { Type, type Static, type TObject, type TPartial, type TSchema } from '@sinclair/typebox';
import { CorsSchema } from '../stages/cors/schema.js';
import { AuditSchema } from '../observability/audit/schema.js';
import { SinksSchema } from '../observability/sinks/schema.js';
import { AlertsSchema } from '../observability/alerts/schema.js';
import { ModeSchema, OnErrorSchema } from './common.js';
import { EgressSchema, HostPatternSchema } from '../egress/schema.js';
import { KeyringSchema } from '../keyring/schema.js';

/**
 * The root configuration schema: the single source of truth for the config file.
 * JSON Schema (for Ajv and `portcullis schema`) and TypeScript types both come from it.
 * Every object rejects unknown keys; defaults live here, not in code.
 */

const Strict = { additionalProperties: false } as const;

/**
 * An override block: every property optional and without a default, so that an
 * override holds only what the operator wrote and never masks a wider setting.
 */
function Override<T extends TObject>(schema: T): TPartial<T> {
  const partial = Type.Partial(schema);
  for (const prop of Object.values(partial.properties) as TSchema[]) delete (prop as { default?: unknown }).default;
  return partial;
}

const Url = Type.String({ format: 'http-url', description: 'An http(s) URL.' });
const Cidr = Type.String({ minLength: 2, description: 'An IPv4 or IPv6 address or CIDR block, e.g. 10.0.0.0/8 or ::1/128.' });
const Mode = ModeSchema;
const OnError = OnErrorSchema;

export const LimitsSchema = Type.Object({
  maxBodySize: Type.Integer({ minimum: 0, default: 1_048_576, description: 'Largest request body in bytes; larger bodies get 413, enforced while streaming.' }),
  requestBufferSize: Type.Integer({ minimum: 0, maximum: 67_108_864, description: 'Request buffering (as nginx does by default): a body of at most this many bytes is read whole before an upstream connection is taken, so a slow client never holds one; a larger body streams once this many bytes have arrived. Default: maxBodySize when that is at most 1 MiB, else 1 MiB.' }),
  minBodyRate: Type.Integer({ minimum: 0, default: 1024, description: 'Bytes per second a body larger than requestBufferSize must keep up (averaged over minBodyRateWindowMs), from its first byte; slower clients get 408 and their upstream request is aborted. 0 turns the check off.' }),
  minBodyRateWindowMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000, description: 'The window minBodyRate is averaged over.' }),
}, Strict);

export const UpstreamTimeoutsSchema = Type.Object({
  connectMs: Type.Integer({ minimum: 1, default: 5_000, description: 'Time allowed to open a connection to the upstream.' }),
  headersMs: Type.Integer({ minimum: 1, default: 30_000, description: 'Time allowed for the upstream to send response headers (504 when exceeded).' }),
  bodyMs: Type.Integer({ minimum: 1, default: 30_000, description: 'Longest idle gap while the upstream sends its body.' }),
}, Strict);

export const CircuitBreakerSchema = Type.Object({
  enabled: Type.Boolean({ default: true }),
  failureThreshold: Type.Integer({ minimum: 1, default: 5, description: 'Consecutive connection failures or timeouts that open the circuit.' }),
  cooldownMs: Type.Integer({ minimum: 1, default: 10_000, description: 'How long the circuit stays open before one trial request is let through.' }),
}, Strict);



export const UpstreamTlsSchema = Type.Object({
  ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM bundle of the CAs trusted for this upstream (relative to the config file); replaces the system trust store for it.' })),
  pins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'SPKI pins, `sha256/<base64>` (as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` prints). One must match a certificate of the chain, after normal verification; list the next key too, to rotate without downtime. A mismatch is 502 PCL_UPSTREAM_TLS_FAILED and an upstream.error event.' })),
  cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (chain) the gateway presents to the upstream (mTLS); needs key.' })),
  key: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of cert.' })),
  servername: Type.Optional(Type.String({ minLength: 1, description: 'SNI name sent and the name the certificate must carry, when it differs from the upstream URL host (e.g. an IP address upstream).' })),
  minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2', description: 'Lowest TLS version accepted from the upstream.' }),
}, { ...Strict, description: 'TLS to an https upstream: trust, pinning, client certificate. Certificate verification is always on.' });

export const SecurityHeadersSchema = Type.Object({
  mode: Mode,
  hsts: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Send Strict-Transport-Security on TLS responses.' }),
    maxAgeSeconds: Type.Integer({ minimum: 0, default: 31_536_000 }),
    includeSubDomains: Type.Boolean({ default: true }),
    preload: Type.Boolean({ default: false }),
  }, { ...Strict, default: {} }),
  contentTypeOptions: Type.Boolean({ default: true, description: 'X-Content-Type-Options: nosniff.' }),
  frameAncestors: Type.Boolean({ default: true, description: "Content-Security-Policy: frame-ancestors 'none' when the upstream sets no CSP." }),
  referrerPolicy: Type.String({ default: 'no-referrer' }),
  noStoreWhenAuthenticated: Type.Boolean({ default: true, description: 'Cache-Control: no-store on responses to requests that carried credentials.' }),
  removeHeaders: Type.Array(Type.String(), { default: ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version', 'x-runtime', 'x-version', 'x-generator'], description: 'Upstream fingerprint headers removed from responses.' }),
  add: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra headers set on every response.' }),
}, { ...Strict, default: {} });

const StageMap = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), Type.Object({
  // No defaults here: Ajv would fill them into every entry, so an operation override would reset an
  // API-level `mode: monitor` to enforce. Each stage's own schema supplies the defaults.
  mode: Type.Optional(Type.Union(Mode.anyOf, { description: Mode.description })),
  onError: Type.Optional(Type.Union(OnError.anyOf, { description: OnError.description })),
}, { additionalProperties: true }), {
  // Without this, patternProperties only checks matching keys: a misspelt "Rate-Limit" would pass silently.
  additionalProperties: false,
  description: 'Stages by registered name, each with its own config (checked by the stage schema).',
});

export const OperationOverrideSchema = Type.Object({
  limits: Type.Optional(Override(LimitsSchema)),
  stages: Type.Optional(StageMap),
}, Strict);

export const ApiSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'Unique API name used in logs and metrics.' }),
  upstream: Url,
  openapi: Type.Optional(Type.String({ minLength: 1, description: 'Path (relative to the config file) of an OpenAPI 3.0/3.1 document; its operations become the only routes.' })),
  basePath: Type.Optional(Type.String({ pattern: '^/', description: 'Public path prefix; defaults to the path of the document\'s first server URL.' })),
  prefixes: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { minItems: 1, description: 'Pass-through path prefixes for an API declared without a document.' })),
  stripBasePath: Type.Boolean({ default: false, description: 'Remove basePath before forwarding to the upstream.' }),
  limits: Type.Optional(Override(LimitsSchema)),
  timeouts: Type.Optional(Override(UpstreamTimeoutsSchema)),
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'Retries on connection failure, for idempotent methods without a body only.' }),
  maxConnections: Type.Integer({ minimum: 1, default: 128, description: 'Connections kept to the upstream; beyond that requests queue.' }),
  upstreamTls: Type.Optional(UpstreamTlsSchema),
  addressGuard: Type.Optional(Type.Object({
    allow: Type.Array(Cidr, { default: [], description: 'Non-public addresses the upstream may still resolve to (e.g. its own subnet).' }),
    resolve: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 2 }), { minItems: 1 }), { default: {}, description: 'Fixed name → addresses answers used instead of DNS (split-horizon names, tests); still checked like DNS answers.' }),
  }, { ...Strict, description: 'SSRF / DNS-rebinding defence for an upstream given by name: every address its name resolves to is checked when a connection opens, and a loopback, private, link-local, cloud-metadata, multicast or reserved one (IPv4-mapped, NAT64 and 6to4 forms included) refuses the connection (502 PCL_UPSTREAM_ADDRESS_REFUSED) unless allow covers it. The socket connects to the checked address.' })),
  version: Type.Optional(Type.Object({
    header: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', default: 'Api-Version', description: 'The request header that selects the version.' }),
    value: Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$', description: 'The header value that selects this API entry (each version its own OpenAPI document).' }),
    default: Type.Boolean({ default: false, description: 'Serve requests without the header (at most one entry per header and path).' }),
  }, { ...Strict, description: 'Select this API by a request header instead of by path: entries sharing a header (usually with the same basePath) are versions of one API. A missing header without a default, or an unknown value, is 400 PCL_API_VERSION_UNKNOWN. Responses carry Vary with the header.' })),
  upstreamHost: Type.Optional(Type.Object({
    template: Type.String({ pattern: '^[a-z0-9.-]*\\{value\\}[a-z0-9.-]*$', description: 'The upstream host name with `{value}` where the request\'s value goes, e.g. `{value}.tenants.internal`. Scheme, port and path stay those of `upstream`.' }),
    from: Type.Union([Type.Literal('header'), Type.Literal('path')], { description: 'Take the value from a request header, or from a path parameter of the operation (needs `openapi`).' }),
    name: Type.String({ minLength: 1, maxLength: 64, description: 'The header or path parameter name.' }),
    pattern: Type.String({ minLength: 1, default: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'The value must match it whole (default: one lower-case DNS label: no dots, ports, `@` or address spellings). Values longer than 63 characters are refused before it is tried.' }),
    hosts: Type.Array(HostPatternSchema, { minItems: 1, description: 'Hosts the template may produce (e.g. `*.tenants.internal`).' }),
  }, { ...Strict, description: 'SSRF-safe URL template: the upstream host is built from request data, validated, and its resolved addresses checked by the address guard (always on for such APIs; `addressGuard.allow` widens it). A missing or invalid value is 400 PCL_UPSTREAM_HOST_INVALID; a host outside `hosts`, an address the guard refuses or a name that does not resolve is 403 PCL_UPSTREAM_HOST_REFUSED. The circuit breaker is off for such APIs (one bad tenant must not open it for all).' })),
  undocumented: Type.Union([Type.Literal('enforce'), Type.Literal('monitor')], {
    default: 'enforce',
    description: 'Requests no operation of the document describes: `enforce` answers 404/405; `monitor` forwards them (with the API-level stages) so a shadow API can be discovered before it is closed. Both are recorded in the inventory.',
  }),
  maxQueued: Type.Integer({ minimum: 0, default: 1024, description: 'Requests that may wait for an upstream connection when all maxConnections are busy; beyond it 503 PCL_UPSTREAM_OVERLOADED with Retry-After.' }),
  queueTimeoutMs: Type.Integer({ minimum: 1, default: 5_000, description: 'Longest wait for an upstream connection; then 503 PCL_UPSTREAM_OVERLOADED with Retry-After.' }),
  circuitBreaker: Type.Optional(Override(CircuitBreakerSchema)),
  cors: Type.Optional(CorsSchema),
  stages: Type.Optional(StageMap),
  operations: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OperationOverrideSchema, {
    description: 'Per-operation overrides keyed by operationId, or "tag:<name>" for every operation with that tag. operationId wins over tag.',
  })),
}, Strict);

export const TlsSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
  host: Type.String({ default: '0.0.0.0' }),
  cert: Type.String({ minLength: 1, description: 'PEM certificate chain file; reloaded when it changes.' }),
  key: Type.String({ minLength: 1, description: 'PEM private key file; reloaded when it changes.' }),
  minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
  ciphers: Type.String({
    default: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
    description: 'OpenSSL cipher list: forward-secret AEAD suites only (Mozilla "intermediate").',
  }),
  clientCa: Type.Optional(Type.String({ minLength: 1, description: 'PEM bundle of the CAs that issue client certificates. When set, the listener asks for a client certificate but never fails the handshake: a missing or unverifiable certificate is answered by the authn stage (mtls scheme) with a 401 problem+json. Reloaded when it changes.' })),
  crl: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'PEM CRL files checked against client certificates (needs clientCa); give one per issuing CA, and keep them fresh: an expired CRL refuses every certificate. Reloaded when they change.' }),
  clientCertificate: Type.Union([Type.Literal('request'), Type.Literal('require')], { default: 'request', description: 'With clientCa: `request` asks for a client certificate and lets the authn stage answer a missing or bad one with 401 problem+json (per API/operation: mtls schemes, stages.authn.requireClientCertificate). `require` fails the TLS handshake for every client without a certificate that verifies against clientCa and the CRLs: nothing reaches HTTP.' }),
}, Strict);

export const OverloadSchema = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Shed new public requests with 503 + Retry-After (PCL_OVERLOADED) while the process is overloaded; admin, health and metrics are never shed. Recovers by itself once the measures fall back under their thresholds.' }),
  eventLoopDelayMs: Type.Integer({ minimum: 1, default: 500, description: 'Mean event-loop delay over one check interval (ms) beyond which new requests are shed.' }),
  heapUsedRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.9, description: 'Share of the V8 heap limit in use beyond which new requests are shed.' }),
  maxInFlight: Type.Integer({ minimum: 0, default: 0, description: 'Requests this process may hold at once on the public listeners (admitted, response not yet finished); a new request beyond it is shed at once. Bounds the queue that forms inside the gateway, which the loop-delay mean sees late: set it to capacity × the queueing latency you accept (e.g. 2,500 req/s × 0.05 s ≈ 128), above the concurrency slow upstreams and streaming responses need. 0: no limit.' }),
  checkIntervalMs: Type.Integer({ minimum: 20, maximum: 10_000, default: 250, description: 'How often the measures are read; shedding starts and stops at most this often.' }),
  retryAfterSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 1, description: 'Retry-After sent with a shed request.' }),
}, { ...Strict, default: {} });

export const ServerSchema = Type.Object({
  host: Type.String({ default: '0.0.0.0' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Plain HTTP port; 0 picks a free port.' }),
  http: Type.Boolean({ default: true, description: 'Serve plain HTTP (turn off to serve TLS only).' }),
  tls: Type.Optional(TlsSchema),
  trustedProxies: Type.Array(Cidr, { default: [], description: 'Peers whose X-Forwarded-For / Forwarded headers are believed.' }),
  maxHeaderSize: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 16_384, description: 'Largest request head in bytes; larger gets 431.' }),
  headersTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Time a client has to send the request head (slowloris defence).' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, default: 60_000, description: 'Time a client has to send the whole request.' }),
  keepAliveTimeoutMs: Type.Integer({ minimum: 0, default: 5_000 }),
  maxConnections: Type.Integer({ minimum: 1, default: 10_000, description: 'Open client connections beyond this are refused.' }),
  shutdownGraceMs: Type.Integer({ minimum: 0, default: 10_000, description: 'How long SIGTERM waits for in-flight requests before closing connections.' }),
  limits: Type.Optional(Override(LimitsSchema)),
  overload: OverloadSchema,
}, { ...Strict, default: {} });

export const AdminSchema = Type.Object({
  enabled: Type.Boolean({ default: true }),
  host: Type.String({ default: '127.0.0.1', description: 'Keep the admin listener off public interfaces.' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 9901 }),
  token: Type.Optional(Type.String({ minLength: 24, description: 'Bearer token for the admin API (/admin/*); use ${ENV} or ${file:...}. Without it (and without admin.tls.clientCa) the admin API is off; metrics and health stay on.' })),
  tls: Type.Optional(Type.Object(TlsSchema.properties, { ...Strict, description: 'Serve the admin listener over HTTPS. With clientCa, a client certificate verified against it authenticates admin API calls (mTLS) as an alternative to the token.' })),
}, { ...Strict, default: {} });

export const LoggingSchema = Type.Object({
  level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  accessLog: Type.Boolean({ default: true, description: 'One JSON line per request.' }),
  redact: Type.Array(Type.String(), { default: [], description: 'Extra request header names (lower case) whose values are replaced by [REDACTED]. Authorization, cookies and API-key headers always are.' }),
  eventFloods: Type.Object({
    aggregate: Type.Boolean({ default: true, description: 'Aggregate repeated security events in the process log (per kind, client and operation): the first `burst` lines of each interval, then one `security events suppressed` line with the count. Metrics, the audit trail and SIEM sinks always get every event.' }),
    burst: Type.Integer({ minimum: 1, default: 5, description: 'Events of one kind, client and operation logged one by one per interval.' }),
    intervalMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Length of an aggregation interval.' }),
  }, { ...Strict, default: {} }),
}, { ...Strict, default: {} });

export const StoreSchema = Type.Object({
  backend: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'memory: this instance only (bounded). redis: shared by every instance (limits, revocations, nonces).' }),
  redisUrl: Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis URL (redis:// or rediss://); used when backend is redis.' }),
  keyPrefix: Type.String({ default: 'pcl:', description: 'Prefix of every key Portcullis writes, so several gateways can share one Redis.' }),
  maxKeys: Type.Integer({ minimum: 1000, default: 100_000, description: 'Bound of the memory backend; least recently used keys are evicted beyond it.' }),
}, { ...Strict, default: {} });

export const InventorySchema = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Keep an inventory of the endpoints traffic reaches, documented or not (`portcullis inventory`, GET /admin/inventory).' }),
  maxEndpoints: Type.Integer({ minimum: 10, default: 2_000, description: 'Distinct endpoints (API, method, path template) kept; traffic to new ones beyond this is only counted.' }),
  flushIntervalMs: Type.Integer({ minimum: 1_000, default: 10_000, description: 'How often this instance writes its inventory to the store, so instances sharing Redis build one inventory.' }),
}, { ...Strict, default: {} });

export const ConfigSchema = Type.Object({
  server: ServerSchema,
  admin: AdminSchema,
  logging: LoggingSchema,
  securityHeaders: SecurityHeadersSchema,
  store: StoreSchema,
  audit: AuditSchema,
  sinks: SinksSchema,
  alerts: AlertsSchema,
  inventory: InventorySchema,
  egress: Type.Optional(EgressSchema),
  keyring: Type.Optional(KeyringSchema),
  watch: Type.Boolean({ default: true, description: 'Reload when the config file or a referenced OpenAPI document changes (SIGHUP always reloads).' }),
  apis: Type.Array(ApiSchema, { minItems: 1, description: 'The APIs behind the gateway.' }),
}, Strict);

export type Config = Static<typeof ConfigSchema>;
export type ApiConfig = Static<typeof ApiSchema>;
export type ServerConfig = Static<typeof ServerSchema>;
export type OverloadConfig = Static<typeof OverloadSchema>;
export type StoreConfig = Static<typeof StoreSchema>;
export type TlsConfig = Static<typeof TlsSchema>;
export type SecurityHeadersConfig = Static<typeof SecurityHeadersSchema>;
export type UpstreamTlsConfig = Static<typeof UpstreamTlsSchema>;
export type OperationOverride = Static<typeof OperationOverrideSchema>;
export { ModeSchema, OnErrorSchema, type StageMode, type StageOnError } from './common.js';
