/** The value written in place of a secret. */
export const REDACTED = '[REDACTED]';

/** Request headers whose values are never logged, whatever the config says. */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = Object.freeze([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key',
]);

/** Query parameters whose values are never logged (compared case-insensitively). */
export const ALWAYS_REDACTED_QUERY: readonly string[] = Object.freeze([
  'api_key', 'apikey', 'access_token', 'token', 'key', 'id_token', 'refresh_token', 'client_secret', 'password',
]);

/** Header values as node:http gives them. */
export type HeaderMap = Record<string, string | string[] | number | undefined>;

/**
 * Builds a header redactor once (the name set is compiled), for use per request.
 *
 * @example
 * const redact = createHeaderRedactor(['x-session']);
 * redact({ authorization: 'Bearer x', accept: '*\/*' }); // { authorization: '[REDACTED]', accept: '*\/*' }
 */
export function createHeaderRedactor(extra: readonly string[] = []): (headers: HeaderMap) => HeaderMap {
  const names = new Set([...ALWAYS_REDACTED_HEADERS, ...extra.map((n) => n.toLowerCase())]);
  return (headers) => {
    const out: HeaderMap = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      out[name] = names.has(name.toLowerCase()) ? REDACTED : value;
    }
    return out;
  };
}

/**
 * Returns a copy of `headers` with the values of credential headers (Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, Api-Key) and of the `extra`
 * names replaced by `[REDACTED]`. Names match case-insensitively.
 *
 * @example
 * redactHeaders({ cookie: 'sid=1', 'x-tenant': 't1' }, ['x-tenant']);
 * // { cookie: '[REDACTED]', 'x-tenant': '[REDACTED]' }
 */
export function redactHeaders(headers: HeaderMap, extra: readonly string[] = []): HeaderMap {
  return createHeaderRedactor(extra)(headers);
}

function decodeName(raw: string): string {
  const name = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * Builds a query redactor once, for use per request.
 *
 * @example
 * const redact = createQueryRedactor(['session']);
 * redact('/a?session=s&page=2'); // '/a?session=[REDACTED]&page=2'
 */
export function createQueryRedactor(extra: readonly string[] = []): (pathWithQuery: string) => string {
  const names = new Set([...ALWAYS_REDACTED_QUERY, ...extra.map((n) => n.toLowerCase())]);
  return (pathWithQuery) => {
    const q = pathWithQuery.indexOf('?');
    if (q < 0) return pathWithQuery;
    // Split on ';' as well as '&': some upstream frameworks still treat ';' as a separator,
    // and a secret it would read must not reach the log either.
    const parts = pathWithQuery.slice(q + 1).split(/([&;])/);
    for (let i = 0; i < parts.length; i += 2) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (names.has(decodeName(part.slice(0, eq)))) parts[i] = `${part.slice(0, eq)}=${REDACTED}`;
    }
    return `${pathWithQuery.slice(0, q)}?${parts.join('')}`;
  };
}

/**
 * Replaces the values of sensitive query parameters (`api_key`, `apikey`,
 * `access_token`, `token`, `key`, `id_token`, `refresh_token`, `client_secret`,
 * `password`, plus `names`) with `[REDACTED]`. Names are percent-decoded and compared
 * case-insensitively, so `?API%5FKEY=x` is caught too.
 *
 * @example
 * redactQuery('/v1/books?token=abc&page=2', []); // '/v1/books?token=[REDACTED]&page=2'
 */
export function redactQuery(pathWithQuery: string, names: readonly string[] = []): string {
  return createQueryRedactor(names)(pathWithQuery);
}
