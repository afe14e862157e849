import type { GatewayError } from './gateway-error.js';

/** Media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 document Portcullis sends. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance: string;
  [extension: string]: unknown;
}

const TYPE_BASE = 'https://portcullis.dev/problems/';

/**
 * Builds the problem document for a rejection. `instance` carries the request id
 * so a client report can be matched to the gateway's logs.
 *
 * @example
 * const doc = toProblem(new GatewayError('PCL_ROUTE_NOT_FOUND'), 'req-1');
 */
export function toProblem(err: GatewayError, requestId: string): ProblemDocument {
  const doc: ProblemDocument = {
    ...err.extensions,
    type: TYPE_BASE + err.code.slice(4).toLowerCase().replaceAll('_', '-'),
    title: err.title,
    status: err.status,
    code: err.code,
    instance: `urn:request:${requestId}`,
  };
  if (err.detail !== undefined) doc.detail = err.detail;
  return doc;
}

/**
 * Serialises a rejection as an HTTP/1.1 response for places with only a raw socket
 * (parser errors before a request object exists).
 *
 * @example
 * socket.end(rawProblemResponse(new GatewayError('PCL_HEADERS_TOO_LARGE'), id));
 */
export function rawProblemResponse(err: GatewayError, requestId: string, extraHeaders: Record<string, string> = {}): string {
  const body = JSON.stringify(toProblem(err, requestId));
  const lines = [
    `HTTP/1.1 ${err.status} ${err.title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    `X-Request-Id: ${requestId}`,
    ...Object.entries({ ...extraHeaders, ...err.headers }).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
