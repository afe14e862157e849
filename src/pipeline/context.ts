import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Who the client is, as far as the connection and trusted proxies tell. */
export interface ClientInfo {
  /** The client address: the peer, or the first untrusted hop of X-Forwarded-For/Forwarded. */
  readonly ip: string;
  /** The TCP peer address. */
  readonly peer: string;
  readonly port: number;
  readonly tls: boolean;
  /** The scheme the client used at the edge (from a trusted proxy's X-Forwarded-Proto, else the listener). */
  readonly proto: 'http' | 'https';
  /** The Host the client asked for. */
  readonly host: string;
  /** The client certificate presented on a TLS listener that asks for one (server.tls.clientCa). */
  readonly certificate?: ClientCertificate;
  /** JA4 fingerprint of the TLS ClientHello (TLS listener only; `request.tls.ja4` in CEL). */
  readonly ja4?: string;
}

/** A client certificate as the TLS socket saw it. Verification happens in the handshake; the verdict is `authorized`. */
export interface ClientCertificate {
  /** Chains to server.tls.clientCa, is within its validity and not on a configured CRL. */
  readonly authorized: boolean;
  /** OpenSSL's reason when not authorized (CERT_HAS_EXPIRED, CERT_REVOKED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...). */
  readonly authorizationError: string | undefined;
  /** Subject attributes (CN, O, OU, ...), each possibly multi-valued. */
  readonly subject: Readonly<Record<string, readonly string[]>>;
  readonly issuer: Readonly<Record<string, readonly string[]>>;
  /** subjectAltName entries as `TYPE:value` (`DNS:a.example`, `URI:spiffe://...`, `email:...`, `IP Address:...`). */
  readonly san: readonly string[];
  /** SHA-256 of the DER certificate, base64url: the RFC 8705 `x5t#S256` value. */
  readonly thumbprint: string;
  readonly serialNumber: string;
  /** Validity bounds in epoch milliseconds. */
  readonly validFrom: number;
  readonly validTo: number;
  /** The DER certificate. */
  readonly raw: Buffer;
}

/** An authenticated identity (filled by authentication stages). */
export interface Principal {
  readonly id: string;
  readonly kind: string;
  readonly issuer?: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly clientId?: string;
}

/** A stage's observation (monitor-mode decisions, WAF matches, validation issues). */
export interface Finding {
  readonly stage: string;
  readonly code: string;
  readonly message: string;
  readonly enforced: boolean;
  readonly ruleIds?: readonly string[];
}

/** A file part of a multipart body, set on the request context by request validation for later upload checks. */
export interface UploadedPart {
  /** The form field name. */
  readonly field: string;
  /** The client-supplied file name (untrusted; never use it as a path). */
  readonly filename: string;
  /** The client-declared media type (untrusted). */
  readonly mimeType: string;
  readonly size: number;
  readonly data: Buffer;
}

/**
 * A request body too large to hold, written to a private temp file while it was read (a
 * stage asked for spooling, e.g. `uploads.spool`). `ctx.body` is then undefined.
 */
export interface SpooledBody {
  /** Bytes the client sent. */
  readonly size: number;
  /** The first bytes of the body (at least the spool threshold), for stages that read only a prefix. */
  readonly head: Buffer;
  /** Forwards `bytes` instead of the body's bytes [start, end) (e.g. a rewritten part header); ranges in ascending order. */
  replace(start: number, end: number, bytes: Buffer): void;
}

/** The operation a request matched. */
export interface MatchedRoute {
  readonly apiName: string;
  /** operationId, or `METHOD /template` when the document gives none; undefined for pass-through. */
  readonly operationId: string | undefined;
  readonly pathTemplate: string;
  readonly tags: readonly string[];
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Per-request state shared by the stages of one request. Stages communicate
 * through it (and events), never by importing each other.
 */
export interface RequestContext {
  readonly id: string;
  /** process.hrtime.bigint() at arrival. */
  readonly startedAt: bigint;
  readonly method: string;
  /** The normalised path (what routing used). */
  readonly path: string;
  /** The raw query string without '?', or ''. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The header lines as the client sent them, names in their original case: [name, value, name, value, ...] (Node's req.rawHeaders). */
  readonly rawHeaders?: readonly string[];
  /** The HTTP version of the request line: '1.0', '1.1', '2.0' (Node's req.httpVersion). */
  readonly httpVersion?: string;
  readonly client: ClientInfo;
  readonly route: MatchedRoute;
  principal: Principal | undefined;
  /** The request body when a stage asked for it (bounded by the body limit); undefined when it was spooled. */
  body: Buffer | undefined;
  /** The request body when it was spooled to disk instead of held in memory. */
  spooled?: SpooledBody;
  readonly findings: Finding[];
  /** Milliseconds spent per stage/phase, for logs and metrics. */
  readonly timings: Record<string, number>;
  /** Headers to add to the response whatever it turns out to be (e.g. rate-limit headers). */
  readonly responseHeaders: OutgoingHttpHeaders;
  /** True when the request carried credentials (Authorization, cookies, client certificate). */
  readonly credentialed: boolean;
  /**
   * Header changes for the upstream request, applied after the gateway's own header rules:
   * a string sets the header, null removes it (e.g. client-sent copies of principal headers).
   * Created by the first stage that needs it.
   */
  upstreamHeaders?: Record<string, string | null>;
  /** File parts of a multipart body, set by request validation for the upload checks. */
  uploads?: UploadedPart[];
  /**
   * Set by a stage's allow-list (the bot stage's `allow`: networks, user agents, principals, API keys)
   * when the client is trusted: risk-based tightening leaves it alone.
   */
  allowListed?: boolean;
}

/** The response as the respond phase sees it. Stages may edit headers in place. */
export interface ResponseContext {
  status: number;
  headers: OutgoingHttpHeaders;
  /** Present only when a stage declared needsResponseBody and the body fitted the plan's buffering limit. */
  body: Buffer | undefined;
  /** A stage wanted the body, but it was larger than the buffering limit: `body` is undefined and the body streams unread. */
  readonly oversize?: boolean;
  /** Set by the gateway when the response is its own (an error or a preflight), not the upstream's. */
  readonly generated: boolean;
  /** `body` parsed as JSON, shared by the stages that read it: use {@link responseJson}, never set it directly. */
  json?: ParsedResponseBody;
}

/** A response body parsed once, tied to the Buffer it came from. */
export interface ParsedResponseBody {
  readonly body: Buffer;
  readonly ok: boolean;
  readonly value: unknown;
}

/**
 * The response body parsed as JSON, at most once per body however many stages read it (authz
 * ownership checks, then response filtering). The parse is tied to the Buffer it came from, so a
 * stage that replaces `res.body` invalidates it. Callers must not mutate `value` unless they then
 * call {@link replaceResponseJson} (or {@link forgetResponseJson} when the body stays as it was).
 * `text` is the body already decoded as UTF-8, when the caller has it.
 *
 * @example
 * const parsed = responseJson(res);
 * if (!parsed.ok) return block('response body is not valid JSON');
 */
export function responseJson(res: ResponseContext & { body: Buffer }, text?: string): ParsedResponseBody {
  const cached = res.json;
  if (cached !== undefined && cached.body === res.body) return cached;
  let parsed: ParsedResponseBody;
  try {
    parsed = { body: res.body, ok: true, value: JSON.parse(text ?? res.body.toString('utf8')) };
  } catch {
    parsed = { body: res.body, ok: false, value: undefined };
  }
  res.json = parsed;
  return parsed;
}

/**
 * Replaces the response body with `value` serialised, keeping the parse for the next stage.
 *
 * @example
 * replaceResponseJson(res, filtered);
 */
export function replaceResponseJson(res: ResponseContext, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.body = body;
  res.headers['content-length'] = String(body.length);
  res.json = { body, ok: true, value };
}

/**
 * Drops the shared parse (a stage edited the parsed value but left the body as it was).
 *
 * @example
 * forgetResponseJson(res);
 */
export function forgetResponseJson(res: ResponseContext): void {
  res.json = undefined;
}
