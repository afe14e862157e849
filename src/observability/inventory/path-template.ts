/** What a path segment looks like when it is a value rather than a name. */
const KINDS: readonly [RegExp, string][] = [
  [/^\d+$/, 'id'],
  [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'uuid'],
  [/^[0-9a-f]{16,}$/i, 'hash'],
  [/^[0-9A-HJKMNP-TV-Z]{26}$/, 'ulid'],
  [/^[^@/]+@[^@/]+\.[^@/]+$/, 'email'],
  // Long opaque tokens: letters and digits mixed, nothing a resource name would be.
  [/^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_=-]{20,}$/, 'token'],
];

/** Segments longer than this are folded whatever they look like: nobody names a resource so. */
const MAX_NAME = 40;

/**
 * A segment no kind above can match (each needs a digit, an `@`, or at least 16 characters) and
 * short enough to be a name: one test instead of six on the common `/v1/items` segments.
 */
const PLAIN_NAME = /^[^0-9@%]{1,15}$/;

/**
 * Folds the values in a path into template parameters, so that `/users/42/orders/9f86d081884c7d65`
 * and `/users/7/orders/ab12cd34ef56ab78` are one endpoint, `/users/{id}/orders/{hash}`. Repeated
 * kinds are numbered (`{id}`, `{id2}`) so the template is a valid OpenAPI path. The query is dropped.
 *
 * @example
 * pathTemplate('/v1/users/42/files/3f2c9b1e-1c4a-4e8f-9a77-0c2d8e1b5a60'); // '/v1/users/{id}/files/{uuid}'
 */
export function pathTemplate(path: string): string {
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  let seen: Map<string, number> | undefined;
  const out = bare.split('/').map((segment) => {
    if (segment === '' || PLAIN_NAME.test(segment)) return segment;
    let kind: string | undefined;
    for (const [re, name] of KINDS) if (re.test(segment)) { kind = name; break; }
    if (kind === undefined && (segment.length > MAX_NAME || segment.includes('%'))) kind = 'value';
    if (kind === undefined) return segment;
    seen ??= new Map<string, number>();
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    return `{${n === 1 ? kind : `${kind}${n}`}}`;
  });
  return out.join('/') || '/';
}

/** Query parameter names of a path (never values), at most `max`, each bounded; odd names are dropped. */
export function queryNames(path: string, max = 20): string[] {
  const q = path.indexOf('?');
  if (q === -1) return [];
  const names = new Set<string>();
  for (const pair of path.slice(q + 1).split('&')) {
    const name = pair.split('=', 1)[0]!;
    if (/^[A-Za-z0-9_.\-[\]]{1,64}$/.test(name)) names.add(name);
    if (names.size >= max) break;
  }
  return [...names];
}
