import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';

/**
 * A Host value: `host[:port]` where host is a bracketed IP literal or a DNS name / IPv4
 * address. Stricter than RFC 3986's reg-name on purpose: sub-delimiters (`;`, `=`, `,` ...),
 * `/` and `@` have no business in a host name and are how Host-based injection is tried.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._~-]{1,253})(?::[0-9]{1,5})?$/;

function badHost(detail: string): GatewayError {
  return new GatewayError('PCL_BAD_HEADER', { detail, internal: 'host header' });
}

/**
 * Checks what Node's parser lets through but RFC 9112 forbids (rules of the HTTP layer,
 * before routing): Transfer-Encoding on HTTP/1.0 (§6.1), a missing Host on HTTP/1.1, a
 * repeated Host (§3.2), and a Host value that is not `host[:port]`. Returns the rejection,
 * or undefined for a sound head.
 *
 * @example
 * const err = checkRequestHead(req);
 * if (err !== undefined) throw err;
 */
export function checkRequestHead(req: IncomingMessage): GatewayError | undefined {
  if (req.httpVersionMinor === 0 && req.httpVersionMajor === 1 && req.headers['transfer-encoding'] !== undefined) {
    return new GatewayError('PCL_REQUEST_SMUGGLING', { detail: 'Transfer-Encoding is not allowed on an HTTP/1.0 request.' });
  }
  const host = req.headers.host;
  if (host === undefined) {
    return req.httpVersionMinor >= 1 || req.httpVersionMajor > 1 ? badHost('An HTTP/1.1 request needs a Host header.') : undefined;
  }
  // Node keeps the first of repeated Host headers: count them in the raw list.
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') seen += 1;
  }
  if (seen > 1) return badHost('Exactly one Host header is allowed.');
  if (!HOST.test(host)) return badHost('The Host header is not a valid host[:port].');
  return undefined;
}
