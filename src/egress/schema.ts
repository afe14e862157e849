import { Type, type Static } from '@sinclair/typebox';

/**
 * The `egress:` block: an outbound listener applications use as their HTTP proxy, and the
 * integrations (third-party APIs) it lets them reach. Everything not described here is refused.
 */

const Strict = { additionalProperties: false } as const;
const Cidr = Type.String({ minLength: 2, description: 'An IPv4 or IPv6 address or CIDR block.' });
export const HostPatternSchema = Type.String({
  pattern: '^(\\*|(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]|[0-9.]+)$',
  description: 'A host name (`api.partner.example`), a wildcard for its subdomains (`*.partner.example`, not the name itself), an address, or `*` for any host (the address guard still applies).',
});

export const EgressIntegrationSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Integration name: named route /egress/<name>/..., logs, events.' }),
  hosts: Type.Array(HostPatternSchema, { minItems: 1, description: 'Hosts the application may reach through this integration (proxy requests and CONNECT).' }),
  ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [80, 443], description: 'Destination ports allowed for proxy requests and CONNECT.' }),
  upstream: Type.Optional(Type.String({ format: 'http-url', description: 'Base URL of the named route /egress/<name>/...: the gateway itself connects there (over TLS for https), so path, method, credentials and response checks apply. Its host must be covered by hosts.' })),
  connect: Type.Boolean({ default: false, description: 'Allow CONNECT tunnels to hosts:ports. A tunnel is end-to-end TLS: the gateway only decides by host and port and checks the resolved address; paths, methods, credentials and response checks cannot apply. Prefer the named route.' }),
  methods: Type.Array(Type.String({ pattern: '^[A-Z]{1,16}$' }), { default: ['GET'], description: 'Methods allowed (upper case).' }),
  paths: Type.Array(Type.String({ pattern: '^/' }), { default: ['/'], description: 'Path prefixes allowed (segment-wise: /v1 allows /v1 and /v1/x, not /v10). Paths with dot segments or encoded slashes are refused.' }),
  headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String(), { default: {}, description: 'Headers set on every forwarded request, replacing any the application sent: credentials from ${ENV}, ${file:...} or ${vault:path#field} (read again at each reload); the application never holds them.' }),
  bearerToken: Type.Optional(Type.String({ minLength: 1, description: 'Shorthand for headers.authorization: "Bearer <token>"; use ${ENV}, ${file:...} or ${vault:path#field}.' })),
  rateLimit: Type.Optional(Type.Object({
    requests: Type.Integer({ minimum: 1, description: 'Requests allowed per sliding window, counted in the configured store (one budget for every instance sharing Redis).' }),
    windowMs: Type.Integer({ minimum: 100, default: 1_000 }),
  }, { ...Strict, description: 'Outbound request budget of this integration; beyond it 429 PCL_EGRESS_RATE_LIMITED. Protects the third party and your contract with it.' })),
  timeouts: Type.Object({
    connectMs: Type.Integer({ minimum: 1, default: 5_000 }),
    headersMs: Type.Integer({ minimum: 1, default: 30_000, description: '504 PCL_UPSTREAM_TIMEOUT beyond it.' }),
    bodyMs: Type.Integer({ minimum: 1, default: 30_000 }),
  }, { ...Strict, default: {} }),
  circuitBreaker: Type.Object({
    enabled: Type.Boolean({ default: true }),
    failureThreshold: Type.Integer({ minimum: 1, default: 5 }),
    cooldownMs: Type.Integer({ minimum: 1, default: 10_000 }),
  }, { ...Strict, default: {}, description: 'Consecutive connection failures or timeouts (of this process) that open the circuit (503 PCL_UPSTREAM_CIRCUIT_OPEN while open); refused addresses and unresolvable names do not count.' }),
  response: Type.Object({
    maxBodyBytes: Type.Integer({ minimum: 0, default: 1_048_576, description: 'Largest response body accepted from the third party; beyond it 502 PCL_EGRESS_RESPONSE_REJECTED.' }),
    strict: Type.Boolean({ default: true, description: 'With openapi: JSON objects may not carry properties the document does not declare (a changed provider adding fields is refused, not passed on).' }),
    contentTypes: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { minItems: 1, description: 'Media types accepted (without parameters); default: those the OpenAPI document declares, else any.' })),
  }, { ...Strict, default: {} }),
  openapi: Type.Optional(Type.String({ minLength: 1, description: "The third party's OpenAPI document: requests must match one of its operations (else 403 PCL_EGRESS_PATH_NOT_ALLOWED) and its responses must have a declared status, content type and a body that validates (else 502 PCL_EGRESS_RESPONSE_REJECTED). Response bodies are then buffered (bounded by maxBodyBytes)." })),
  addressGuard: Type.Object({
    allow: Type.Array(Cidr, { default: [], description: 'Non-public addresses this integration may still reach (e.g. a partner over a private link).' }),
  }, { ...Strict, default: {} }),
  maxRedirects: Type.Integer({ minimum: 0, maximum: 10, default: 0, description: 'Redirects the gateway follows itself (GET/HEAD only); each hop must pass hosts, ports, methods, paths, the document and the address guard again, hops with userinfo or from https to http are refused, and credentials (injected or the application\'s Authorization/Cookie) go only to the first origin. 0: redirects are returned to the application.' }),
  upstreamTls: Type.Optional(Type.Object({
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM bundle trusted for this third party instead of the system store.' })),
    servername: Type.Optional(Type.String({ minLength: 1 })),
    minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
  }, { ...Strict, description: 'TLS toward the third party (https requests the gateway makes itself). Verification is always on.' })),
}, Strict);

export const EgressSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'Keep the egress listener on the application network only: anyone who reaches it spends your integrations\' credentials.' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 3128 }),
  allowClients: Type.Array(Cidr, { default: ['127.0.0.0/8', '::1'], description: 'Client addresses allowed to use the egress listener; others get 403 PCL_EGRESS_CLIENT_NOT_ALLOWED.' }),
  resolve: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 2 }), { minItems: 1 }), { default: {}, description: 'Fixed name → addresses answers used instead of DNS (like curl --resolve): split-horizon names, tests. Every address is still checked by the address guard.' }),
  maxBodySize: Type.Integer({ minimum: 0, default: 1_048_576, description: 'Largest request body an application may send out (413 beyond).' }),
  integrations: Type.Array(EgressIntegrationSchema, { minItems: 1, description: 'The third-party APIs applications may call. Requests matching none are refused (403 PCL_EGRESS_HOST_NOT_ALLOWED).' }),
}, { ...Strict, description: 'Egress gateway: the outbound proxy for applications (docs/reference/egress.md).' });

export type EgressConfig = Static<typeof EgressSchema>;
export type EgressIntegrationConfig = Static<typeof EgressIntegrationSchema>;
