import type { Socket } from 'node:net';
import { GatewayError, rawProblemResponse, type ClientErrorCode } from '../errors/index.js';
import { publishClientError } from '../observability/channels.js';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';

/** llhttp / Node error codes → the public code a client gets. */
const PARSER_CODES: Record<string, ClientErrorCode> = {
  HPE_HEADER_OVERFLOW: 'PCL_HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'PCL_REQUEST_TIMEOUT',
  HPE_HEADERS_TIMEOUT: 'PCL_REQUEST_TIMEOUT',
  HPE_INVALID_CONTENT_LENGTH: 'PCL_BAD_CONTENT_LENGTH',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'PCL_REQUEST_SMUGGLING',
  HPE_INVALID_TRANSFER_ENCODING: 'PCL_REQUEST_SMUGGLING',
  HPE_INVALID_HEADER_TOKEN: 'PCL_BAD_HEADER',
  HPE_LF_EXPECTED: 'PCL_BAD_REQUEST',
  HPE_CR_EXPECTED: 'PCL_BAD_REQUEST',
};

/**
 * Answers requests the HTTP parser refused (oversized head, ambiguous framing, slow
 * clients) with problem+json on the raw socket, then closes it: such a message is never
 * forwarded, and the connection cannot be trusted for another request.
 *
 * @example
 * server.on('clientError', handleClientError);
 */
export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  const code: ClientErrorCode = PARSER_CODES[err.code ?? ''] ?? 'PCL_BAD_REQUEST';
  publishClientError({ code, peer: socket.remoteAddress ?? '' });
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const id = acceptOrCreateRequestId(undefined);
  socket.end(rawProblemResponse(new GatewayError(code), id, {
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  }));
  socket.destroySoon?.();
}
