import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, rawProblemResponse, type ClientErrorCode } from '../errors/index.js';
import { publishClientError, publishRequestEnd } from '../observability/channels.js';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';
import { exchangeOf } from './exchange.js';
import { publishRefusal, publishRefusalOf } from './refusal-events.js';

/** llhttp / Node error codes → the public code a client gets. */
const PARSER_CODES: Record<string, ClientErrorCode> = {
  HPE_HEADER_OVERFLOW: 'PCL_HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'PCL_REQUEST_TIMEOUT',
  HPE_HEADERS_TIMEOUT: 'PCL_REQUEST_TIMEOUT',
  HPE_INVALID_CONTENT_LENGTH: 'PCL_BAD_CONTENT_LENGTH',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'PCL_REQUEST_SMUGGLING',
  HPE_INVALID_TRANSFER_ENCODING: 'PCL_REQUEST_SMUGGLING',
  HPE_INVALID_HEADER_TOKEN: 'PCL_BAD_HEADER',
  HPE_INVALID_METHOD: 'PCL_METHOD_NOT_IMPLEMENTED',
  HPE_LF_EXPECTED: 'PCL_BAD_REQUEST',
  HPE_CR_EXPECTED: 'PCL_BAD_REQUEST',
};

const HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

/**
 * The public code of a parser error. Content-Length together with Transfer-Encoding is
 * smuggling whichever header comes first: llhttp reports it as an invalid Transfer-Encoding
 * or an invalid Content-Length depending on the order.
 */
export function clientErrorCode(err: Error & { code?: string }): ClientErrorCode {
  if (err.code === 'HPE_INVALID_CONTENT_LENGTH' && /Transfer-Encoding/i.test(err.message)) return 'PCL_REQUEST_SMUGGLING';
  return PARSER_CODES[err.code ?? ''] ?? 'PCL_BAD_REQUEST';
}

/** The method and target of the request line, when the packet the parser refused still holds it. */
function requestLine(err: { rawPacket?: unknown }): { method: string; path: string } {
  const raw = err.rawPacket;
  if (!Buffer.isBuffer(raw)) return { method: '', path: '' };
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) ([\x21-\x7e]{1,4096}) HTTP\//.exec(raw.subarray(0, 4200).toString('latin1'));
  return m === null ? { method: '', path: '' } : { method: m[1]!, path: m[2]! };
}

/**
 * Answers requests the HTTP parser refused (oversized head, ambiguous framing, slow
 * clients, broken chunked bodies) with problem+json on the raw socket, then closes it: such a
 * message is never forwarded, and the connection cannot be trusted for another request.
 *
 * Every refusal is recorded truthfully: when the connection was already serving a request
 * (a body that broke or stalled), that exchange's access-log line and metrics carry the status
 * written here and decision `refused`, and its request id is the one in the response; when no
 * request object existed yet, a fresh request id is made, sent in `X-Request-Id` and the
 * problem's `instance`, and used for the access-log line and the security event.
 *
 * @example
 * server.on('clientError', handleClientError);
 */
export function handleClientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  const code = clientErrorCode(err);
  const peer = socket.remoteAddress ?? '';
  publishClientError({ code, peer });
  const error = new GatewayError(code);
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const x = exchangeOf(socket);
  if (x !== undefined && (x.req.complete || x.res.headersSent || x.rawStatus !== undefined)) {
    // The error is in a later (pipelined) request, or this response is already under way:
    // writing now would corrupt the response in flight. Recorded on its own, and the connection cut.
    const { method, path } = requestLine(err);
    recordRaw(socket, acceptOrCreateRequestId(undefined), error, method, path, undefined);
    socket.destroy();
    return;
  }
  if (x !== undefined) {
    x.rawStatus = error.status;
    x.decision = 'refused';
    x.code = code;
    x.stage = 'http';
    publishRefusal(x, code, error.status);
    socket.end(rawProblemResponse(error, x.id, HEADERS));
    socket.destroySoon?.();
    return;
  }
  const { method, path } = requestLine(err);
  refuseRaw(socket, error, method, path, undefined);
}

/** Refuses a request that has no exchange: event, access-log line and metrics, then the problem on the raw socket. */
function refuseRaw(socket: Socket, error: GatewayError, method: string, path: string, userAgent: string | undefined): void {
  const id = acceptOrCreateRequestId(undefined);
  recordRaw(socket, id, error, method, path, userAgent);
  socket.end(rawProblemResponse(error, id, HEADERS));
  socket.destroySoon?.();
}

/** The security event and the access-log line / metrics of a refusal without an exchange. */
function recordRaw(socket: Socket, id: string, error: GatewayError, method: string, path: string, userAgent: string | undefined): void {
  const peer = socket.remoteAddress ?? '';
  publishRefusalOf({ requestId: id, method, path, client: peer, api: '', operationId: undefined }, error.code, error.status, 'http');
  publishRequestEnd(() => ({
    requestId: id, method, path, api: '(none)', operationId: '(unmatched)', status: error.status, durationS: 0, upstreamS: undefined,
    bytesIn: 0, bytesOut: 0, client: peer, decision: 'refused', code: error.code, stage: 'http', headers: {}, userAgent,
  }));
}

/**
 * Answers CONNECT (the gateway is no forward proxy) with 501 problem+json instead of a silent
 * close, and records it like any refusal.
 *
 * @example
 * server.on('connect', handleConnect);
 */
export function handleConnect(req: IncomingMessage, socket: Socket): void {
  socket.on('error', () => {});
  const error = new GatewayError('PCL_METHOD_NOT_IMPLEMENTED', { detail: 'CONNECT is not served: this gateway is not a forward proxy.' });
  refuseRaw(socket, error, 'CONNECT', (req.url ?? '').slice(0, 4096), req.headers['user-agent']);
}
