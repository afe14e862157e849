import type { IncomingHttpHeaders } from 'node:http';
import type { ClientInfo } from '../pipeline/context.js';
import { formatForwardedElement } from './forwarded.js';

/** Header fields that describe one connection, never the message (RFC 9110 7.6.1, plus legacy ones). */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);

/**
 * Request fields never copied from the client: hop-by-hop ones, `expect` (the gateway answered
 * it already), the ones Portcullis writes itself, and path overrides that some frameworks obey
 * (X-Original-URL / X-Rewrite-URL would let a client reach a path the router never checked).
 */
const REQUEST_DROP: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP, 'expect', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded',
  'x-request-id', 'x-real-ip', 'x-original-url', 'x-rewrite-url',
]);

/** Client-address and routing claims an upstream may believe: kept only when a trusted proxy sent them. */
const UNTRUSTED_DROP: ReadonlySet<string> = new Set([
  'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server', 'x-client-ip', 'true-client-ip', 'x-cluster-client-ip',
]);

/**
 * Fields a `Connection` option cannot remove: the body's framing and representation, which the
 * stages inspected and the upstream must read the same way.
 */
const NOT_NOMINABLE: ReadonlySet<string> = new Set(['content-length', 'content-type', 'content-encoding']);

/** Options of {@link buildUpstreamHeaders}. */
export interface UpstreamHeaderOptions {
  readonly client: ClientInfo;
  readonly requestId: string;
  /** `host[:port]` of the upstream URL. */
  readonly upstreamHost: string;
  /** True when the TCP peer is a trusted proxy: only then are its forwarding lists extended. */
  readonly trustedPeer: boolean;
  /** Send the client's Host instead of the upstream's. */
  readonly preserveHost?: boolean;
}

/**
 * Builds the header set of the request to the upstream from the headers the stages saw
 * (`req.headers`: one value per singleton field, so the upstream reads exactly what was
 * checked). Drops hop-by-hop fields and those named in `Connection`, then writes
 * X-Forwarded-For/-Proto/-Host, `Forwarded`, X-Real-IP, X-Request-Id and Host.
 *
 * X-Forwarded-For and `Forwarded` end with the client as Portcullis resolved it, so an
 * upstream that trusts only the gateway reads its rightmost entry. The client's earlier entries
 * are kept only when the peer is a trusted proxy; otherwise the lists are replaced.
 *
 * `req.rawHeaders` is deliberately not used: copying raw lines would forward duplicates Node
 * discarded (a second Authorization the stages never saw), letting the upstream read a
 * different value from the one that was checked.
 *
 * @example
 * const headers = buildUpstreamHeaders(req.headers, {
 *   client: ctx.client, requestId: ctx.id, upstreamHost: upstream.host, trustedPeer: runtime.trusted.has(ctx.client.peer),
 * });
 */
export function buildUpstreamHeaders(incoming: IncomingHttpHeaders, opts: UpstreamHeaderOptions): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const nominated = connectionOptions(incoming.connection);
  const trusted = opts.trustedPeer;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || REQUEST_DROP.has(name)) continue;
    if (name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */) continue;
    if (!trusted && UNTRUSTED_DROP.has(name)) continue;
    if (nominated !== undefined && nominated.includes(name)) continue;
    out[name] = value;
  }

  const client = opts.client;
  const priorXff = trusted ? joined(incoming['x-forwarded-for']) : undefined;
  out['x-forwarded-for'] = priorXff === undefined || priorXff === '' ? client.ip : `${priorXff}, ${client.ip}`;
  out['x-forwarded-proto'] = client.proto;
  if (client.host !== '') out['x-forwarded-host'] = client.host;
  const element = formatForwardedElement({ for: client.ip, proto: client.proto, host: client.host });
  const priorForwarded = trusted ? joined(incoming.forwarded) : undefined;
  out.forwarded = priorForwarded === undefined || priorForwarded === '' ? element : `${priorForwarded}, ${element}`;
  out['x-real-ip'] = client.ip;
  out['x-request-id'] = opts.requestId;
  out.host = opts.preserveHost === true && client.host !== '' ? client.host : opts.upstreamHost;
  return out;
}

/**
 * Copies an upstream response's headers without the hop-by-hop ones (Connection, Keep-Alive,
 * Transfer-Encoding, ... and every field the upstream's `Connection` names): Node frames the
 * response to the client itself.
 *
 * @example
 * res.writeHead(statusCode, filterResponseHeaders(upstreamHeaders));
 */
export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const nominated = connectionOptions(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (nominated !== undefined && nominated.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Like {@link filterResponseHeaders}, from the raw `[name, value, ...]` Buffer list undici's
 * dispatch API gives, so the proxy path parses each field once. Names are lower-cased, repeated
 * fields become arrays (Set-Cookie), and values are decoded as latin1: Node writes header
 * values back as latin1, so the upstream's bytes reach the client unchanged.
 *
 * @example
 * res.writeHead(statusCode, filterRawResponseHeaders(rawHeaders));
 */
export function filterRawResponseHeaders(raw: readonly (Buffer | string)[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let connection: string | string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (HOP_BY_HOP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? value : [...[connection].flat(), value];
      continue;
    }
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (typeof prior === 'string') out[name] = [prior, value];
    else prior.push(value);
  }
  if (connection !== undefined) {
    // Rare (upstreams seldom nominate fields): deleting is fine off the common path.
    for (const name of connectionOptions(connection) ?? []) delete out[name];
  }
  return out;
}

/** Lower-case field names listed in a Connection header (without the protected ones); undefined when none. */
function connectionOptions(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  // The values nearly every request carries name no field: skip the split.
  if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  let names: string[] | undefined;
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || NOT_NOMINABLE.has(name)) continue;
    (names ??= []).push(name);
  }
  return names;
}

function joined(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value.trim() : value.join(', ').trim();
}
