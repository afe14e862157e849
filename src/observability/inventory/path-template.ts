/** What a path segment looks like when it is a value rather than a name. */
export const KINDS: readonly (readonly [RegExp, string])[] = [
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

/** Only `id` can match a segment under 16 characters without `@` or `%` (each other kind needs one of those). */
const SHORT = 16;
const DIGITS = /^\d+$/;

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
  const segments = bare.split('/');
  let seen: Map<string, number> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const kind = kindOf(segments[i]!);
    if (kind === undefined) continue;
    seen ??= new Map<string, number>();
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    segments[i] = `{${n === 1 ? kind : `${kind}${n}`}}`;
  }
  // Nothing folded: the path is its own template (split and joined it is the same string).
  return (seen === undefined ? bare : segments.join('/')) || '/';
}

/** The kind of value a segment is, or undefined for a name. */
function kindOf(segment: string): string | undefined {
  if (segment === '') return undefined;
  // The common case (`v1`, `items`, `42`): one test instead of six.
  if (segment.length < SHORT && !segment.includes('@') && !segment.includes('%')) return DIGITS.test(segment) ? 'id' : undefined;
  for (const [re, name] of KINDS) if (re.test(segment)) return name;
  if (segment.length > MAX_NAME || segment.includes('%')) return 'value';
  return undefined;
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
