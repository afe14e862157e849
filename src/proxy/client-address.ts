import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { ClientInfo } from '../pipeline/context.js';
import { canonicalIp, normalizeIp, type CidrMatcher } from '../util/cidr.js';
import { parseForwardedElement, type ForwardedElement } from './forwarded.js';

/** What the listener knows about a connection and its request. */
export interface ClientAddressInput {
  /** `socket.remoteAddress` (may be IPv4-mapped IPv6). */
  readonly peer: string;
  readonly peerPort: number;
  /** True when the listener terminated TLS. */
  readonly tls: boolean;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Which header the trusted proxies write. Only that one is read: a proxy that writes
 * X-Forwarded-For usually passes a client's own `Forwarded` header through untouched
 * (and the other way round), so believing both would let any client choose its address.
 */
export type ForwardedHeaderMode = 'x-forwarded-for' | 'forwarded';

/** Options of {@link resolveClient}. */
export interface ResolveClientOptions {
  /** Default `'x-forwarded-for'`, the header nearly every proxy and load balancer writes. */
  readonly header?: ForwardedHeaderMode;
}

// host[:port]: a reg-name (letters, digits, '.', '-', '_') or a bracketed IPv6 literal. Linear: the
// classes are disjoint at every boundary, so there is no backtracking.
const HOST_RE = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252}))(?::([0-9]{1,5}))?$/;

/**
 * Validates a Host-like value (`host[:port]`) and lower-cases it; undefined when invalid.
 * Refuses anything that could smuggle a path, credentials or a header break (`/`, `@`, CR, LF, space).
 *
 * @example
 * parseHost('API.example.com:8443'); // 'api.example.com:8443'
 * parseHost('evil.com\r\nX-Injected: 1'); // undefined
 */
export function parseHost(value: string): string | undefined {
  const m = HOST_RE.exec(value);
  if (m === null) return undefined;
  if (m[1] !== undefined && isIP(m[1]) !== 6) return undefined;
  if (m[2] !== undefined && Number(m[2]) > 65535) return undefined;
  return value.toLowerCase();
}

/**
 * Works out who the client is. When the TCP peer is not a trusted proxy, the peer is the
 * client and every forwarding header is ignored. When it is, the forwarding header named by
 * `options.header` is walked from right to left, skipping trusted addresses: the first
 * untrusted hop is the client (all trusted: the leftmost). A hop that cannot be read
 * (malformed, `unknown`, an obfuscated identifier) ends the walk and the client is the last
 * hop that could be read, or the peer: a client can never choose its address, only lose
 * detail. Never throws.
 *
 * Proto (`http`/`https` only) and host come from the same trusted source: the `Forwarded`
 * element that named the client, or a single-valued X-Forwarded-Proto / X-Forwarded-Host
 * (a list only when it lines up hop for hop with X-Forwarded-For). Otherwise the listener's
 * scheme and the `Host` header. `host` is '' when no valid host is known.
 *
 * @example
 * const client = resolveClient(
 *   { peer: req.socket.remoteAddress ?? '', peerPort: req.socket.remotePort ?? 0, tls: false, headers: req.headers },
 *   runtime.trusted,
 * );
 * client.ip; // '203.0.113.7'
 */
export function resolveClient(input: ClientAddressInput, trusted: CidrMatcher, options: ResolveClientOptions = {}): ClientInfo {
  const peer = normalizeIp(typeof input.peer === 'string' ? input.peer : '');
  const headers = input.headers;
  const listenerProto = input.tls ? 'https' : 'http';
  const hostHeader = typeof headers.host === 'string' ? parseHost(headers.host) ?? '' : '';
  if (!trusted.has(peer)) return info(input, peer, peer, listenerProto, hostHeader);

  if (options.header === 'forwarded') {
    const hop = walkForwarded(joinHeader(headers.forwarded), trusted);
    const element = hop?.element;
    return info(
      input, peer, hop?.ip ?? peer,
      parseProto(element?.proto) ?? listenerProto,
      (element?.host === undefined ? undefined : parseHost(element.host)) ?? hostHeader,
    );
  }

  const xff = walkXForwardedFor(joinHeader(headers['x-forwarded-for']), trusted);
  const xfh = pickAligned(headers['x-forwarded-host'], xff);
  return info(
    input, peer, xff?.ip ?? peer,
    parseProto(pickAligned(headers['x-forwarded-proto'], xff)) ?? listenerProto,
    (xfh === undefined ? undefined : parseHost(xfh)) ?? hostHeader,
  );
}

function info(input: ClientAddressInput, peer: string, ip: string, proto: 'http' | 'https', host: string): ClientInfo {
  return { ip, peer, port: input.peerPort, tls: input.tls, proto, host };
}

/** Where a walk stopped: the client ip (undefined: use the peer) and its position from the right. */
interface XffHop {
  readonly ip: string | undefined;
  readonly fromRight: number;
  readonly count: number;
}

function walkXForwardedFor(value: string | undefined, trusted: CidrMatcher): XffHop | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  let last: string | undefined;
  for (let i = parts.length - 1, hop = 0; i >= 0; i--, hop++) {
    const ip = parseXffNode(trimOws(parts[i] as string));
    if (ip === undefined) return { ip: last, fromRight: hop - 1, count: parts.length };
    if (!trusted.has(ip)) return { ip, fromRight: hop, count: parts.length };
    last = ip;
  }
  return { ip: last, fromRight: parts.length - 1, count: parts.length };
}

/** `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:80` → canonical ip. */
function parseXffNode(s: string): string | undefined {
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']');
    if (close === -1 || !isPortSuffix(s, close + 1)) return undefined;
    const inner = s.slice(1, close);
    return isIP(inner) === 6 ? canonicalIp(inner) : undefined;
  }
  const colon = s.indexOf(':');
  if (colon !== -1 && colon === s.lastIndexOf(':')) {
    const v4 = s.slice(0, colon);
    return isIP(v4) === 4 && isPortSuffix(s, colon) ? v4 : undefined;
  }
  return canonicalIp(s);
}

/** True when s[from..] is empty or `:` followed by 1-5 digits. */
function isPortSuffix(s: string, from: number): boolean {
  if (from === s.length) return true;
  if (s.charCodeAt(from) !== 58 /* : */ || s.length - from < 2 || s.length - from > 6) return false;
  for (let i = from + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The X-Forwarded-Proto/-Host value that belongs to the client: a single value as is, a list
 * only when it has one entry per X-Forwarded-For hop (then the client's entry).
 */
function pickAligned(header: string | string[] | undefined, xff: XffHop | undefined): string | undefined {
  const value = joinHeader(header);
  if (value === undefined) return undefined;
  if (!value.includes(',')) return trimOws(value);
  if (xff === undefined || xff.fromRight < 0) return undefined;
  const parts = value.split(',');
  if (parts.length !== xff.count) return undefined;
  const part = parts[parts.length - 1 - xff.fromRight];
  return part === undefined ? undefined : trimOws(part);
}

interface ForwardedHop {
  readonly ip: string | undefined;
  /** The element that described the client's connection (undefined after a malformed one). */
  readonly element: ForwardedElement | undefined;
}

function walkForwarded(value: string | undefined, trusted: CidrMatcher): ForwardedHop | undefined {
  if (value === undefined) return undefined;
  // A quoted comma can only break an element written by the client (left of the trusted ones);
  // splitting naively then fails towards the trusted side, never in the client's favour.
  const parts = value.split(',');
  let last: string | undefined;
  let lastElement: ForwardedElement | undefined;
  for (let i = parts.length - 1; i >= 0; i--) {
    const element = parseForwardedElement(parts[i] as string);
    if (element === undefined) return { ip: last, element: undefined };
    const node = element.for;
    if (node === undefined || node.kind !== 'ip') return { ip: last, element };
    if (!trusted.has(node.ip)) return { ip: node.ip, element };
    last = node.ip;
    lastElement = element;
  }
  return { ip: last, element: lastElement };
}

function parseProto(value: string | undefined): 'http' | 'https' | undefined {
  if (value === undefined) return undefined;
  const v = trimOws(value).toLowerCase();
  return v === 'http' || v === 'https' ? v : undefined;
}

function joinHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/** Strips spaces and tabs only (HTTP OWS); String#trim would also eat CR, LF and Unicode spaces. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
