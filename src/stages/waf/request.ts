import type { RequestContext } from '../../pipeline/context.js';
import type { TransactionInput } from '../../waf/index.js';

/**
 * The engine's view of a request, built from the context: the normalised path the
 * upstream will receive, the raw query, the protocol of the request line (HTTP/1.0,
 * HTTP/1.1, HTTP/2.0), every header line as the client sent it (names in their original
 * case, repeated headers as separate entries, as ModSecurity sees them), the client
 * address and the buffered body. The body processor (URL-encoded, multipart, JSON, XML)
 * follows from the Content-Type header inside the engine.
 *
 * @example
 * const tx = new Transaction(transactionInput(ctx));
 */
export function transactionInput(ctx: RequestContext, maxBodyBytes: number = Number.POSITIVE_INFINITY): TransactionInput {
  return {
    method: ctx.method,
    uri: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
    protocol: `HTTP/${ctx.httpVersion ?? '1.1'}`,
    headers: headerLines(ctx),
    remoteAddr: ctx.client.ip,
    remotePort: ctx.client.port,
    ...bodyOf(ctx.body ?? ctx.spooled?.head, maxBodyBytes),
  };
}

function bodyOf(body: Buffer | undefined, maxBodyBytes: number): { body?: Buffer } {
  if (body === undefined || body.length === 0) return {};
  return { body: body.length > maxBodyBytes ? body.subarray(0, maxBodyBytes) : body };
}

/** The header lines in the client's spelling (rawHeaders), else Node's lower-cased map with arrays expanded. */
function headerLines(ctx: RequestContext): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const raw = ctx.rawHeaders;
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!, fromLatin1(raw[i + 1]!)]);
    return headers;
  }
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.push([name, fromLatin1(v)]);
    else headers.push([name, fromLatin1(value)]);
  }
  return headers;
}

/**
 * Node hands header values over as latin1 (one char per byte) while the engine takes
 * ordinary strings and encodes them as UTF-8: decode first, so a UTF-8 header reaches the
 * rules as the bytes the client sent (invalid sequences become U+FFFD).
 */
function fromLatin1(v: string): string {
  return /^[\u0000-\u007f]*$/.test(v) ? v : Buffer.from(v, 'latin1').toString('utf8');
}
