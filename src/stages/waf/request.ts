import type { RequestContext } from '../../pipeline/context.js';
import type { TransactionInput } from '../../waf/index.js';

/**
 * The engine's view of a request, built from the context: the normalised path the
 * upstream will receive, the raw query, every header value (repeated ones expanded),
 * the client address and the buffered body. The body processor (URL-encoded,
 * multipart, JSON, XML) follows from the Content-Type header inside the engine.
 *
 * @example
 * const tx = new Transaction(transactionInput(ctx));
 */
export function transactionInput(ctx: RequestContext, maxBodyBytes: number = Number.POSITIVE_INFINITY): TransactionInput {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.push([name, fromLatin1(v)]);
    else headers.push([name, fromLatin1(value)]);
  }
  return {
    method: ctx.method,
    uri: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
    headers,
    remoteAddr: ctx.client.ip,
    remotePort: ctx.client.port,
    ...(ctx.body !== undefined && ctx.body.length > 0 ? { body: ctx.body.length > maxBodyBytes ? ctx.body.subarray(0, maxBodyBytes) : ctx.body } : {}),
  };
}

/**
 * Node hands header values over as latin1 (one char per byte) while the engine takes
 * ordinary strings and encodes them as UTF-8: decode first, so a UTF-8 header reaches the
 * rules as the bytes the client sent (invalid sequences become U+FFFD).
 */
function fromLatin1(v: string): string {
  return /^[\u0000-\u007f]*$/.test(v) ? v : Buffer.from(v, 'latin1').toString('utf8');
}
