import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The RFC 6750 Bearer token of a request's Authorization header.
 * - `undefined`: no Authorization header, or another scheme (another provider may apply).
 * - `''`: a Bearer header whose token is not in the RFC 6750 b64token syntax.
 *
 * @example
 * bearerToken({ authorization: 'Bearer abc.def.ghi' }); // 'abc.def.ghi'
 */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (value === undefined) return undefined;
  if (!/^bearer(?: |$)/i.test(value)) return undefined;
  const m = BEARER.exec(value);
  return m === null ? '' : m[1]!;
}
