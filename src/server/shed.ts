import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, GatewayError, toProblem } from '../errors/index.js';
import { resolveClient } from '../proxy/client-address.js';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';
import { noteShed } from '../observability/shed-ledger.js';
import type { Runtime } from '../runtime/runtime.js';
import { hasBody } from './body.js';

/** The parts of a shed response that do not change per request, built once per runtime and listener. */
interface Prepared {
  readonly rt: Runtime;
  /** Header name/value pairs, security headers applied; the request id and length follow. */
  readonly headers: readonly string[];
  readonly bodyHead: string;
  readonly bodyTail: string;
  /** Bytes of the body without the request id (ids are ASCII: one byte per character). */
  readonly bodyBytes: number;
}

// Survives JSON.stringify unescaped, and no problem text contains it.
const ID_MARK = '@@request-id@@';

/**
 * Answers requests shed by overload protection as cheaply as the HTTP layer allows (ADR 0032):
 * the same RFC 9457 problem+json 503 PCL_OVERLOADED with Retry-After, request id and security
 * headers that the exchange path would send, but serialised once, without building the
 * exchange, the context, an error object or a request-end message; the request is counted in
 * the shed ledger (metrics exact, access log and security events aggregated per second).
 *
 * @example
 * const shed = createShedResponder(retryAfterSeconds, false);
 * if (overload.enter()) { shed(req, res, current()); return; }
 */
export function createShedResponder(retryAfter: Readonly<Record<string, string>>, tls: boolean): (req: IncomingMessage, res: ServerResponse, rt: Runtime) => void {
  let prepared: Prepared | undefined;
  const prepare = (rt: Runtime): Prepared => {
    const err = new GatewayError('PCL_OVERLOADED', { detail: 'The gateway is overloaded; retry later.', headers: retryAfter });
    const [bodyHead, bodyTail] = JSON.stringify(toProblem(err, ID_MARK)).split(ID_MARK) as [string, string];
    const headers: OutgoingHttpHeaders = { ...err.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
    // Credentialed or not, the answer is no-store already: one header set serves both.
    rt.securityHeaders(headers, { tls, credentialed: true });
    headers['content-type'] = PROBLEM_CONTENT_TYPE;
    const flat: string[] = [];
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat.push(k, String(v));
    return { rt, headers: flat, bodyHead, bodyTail, bodyBytes: Buffer.byteLength(bodyHead) + Buffer.byteLength(bodyTail) };
  };
  return (req, res, rt) => {
    // A reload swaps the runtime (its security headers may differ): prepared again, once.
    const p = prepared?.rt === rt ? prepared : (prepared = prepare(rt));
    const id = acceptOrCreateRequestId(req.headers['x-request-id']);
    const method = req.method ?? 'GET';
    const socket = req.socket;
    // The same client the access log names for a served request (a trusted proxy's forwarded address).
    const client = resolveClient({ peer: socket.remoteAddress ?? '', peerPort: socket.remotePort ?? 0, tls, headers: req.headers }, rt.trusted).ip;
    noteShed(method, client);
    const headers = [...p.headers, 'x-request-id', id, 'content-length', String(p.bodyBytes + id.length)];
    // The body was not read: the connection cannot carry another request (as on the exchange path).
    if (hasBody(req)) headers.push('connection', 'close');
    res.writeHead(503, headers);
    res.end(method === 'HEAD' ? undefined : p.bodyHead + id + p.bodyTail);
  };
}
