/**
 * Strict Content-Type handling. A request media type is accepted only when it parses as
 * `type/subtype *(; name=value)`, matches a declared one exactly (or a declared
 * `type/*` / `*\/*` range), and carries no charset other than UTF-8. Lookalikes such as
 * `application/jsonx` or `application/json-patch+json` match nothing unless declared.
 */

/** A parsed media type: lower-cased essence and parameters. */
export interface MediaType {
  readonly essence: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses a Content-Type value; undefined when malformed.
 *
 * @example
 * parseMediaType('application/json; charset=UTF-8')?.essence; // 'application/json'
 */
export function parseMediaType(value: string): MediaType | undefined {
  if (value.length > 256) return undefined;
  const parts = value.split(';');
  const essence = parts[0]!.trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash <= 0 || !TOKEN.test(essence.slice(0, slash)) || !TOKEN.test(essence.slice(slash + 1))) return undefined;
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) return undefined;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (!TOKEN.test(name) || params.has(name)) return undefined;
    params.set(name, v);
  }
  return { essence, params };
}

/**
 * Finds the declared media type (key of the operation's `content`) a request type matches.
 * Exact matches win over `type/*`, which wins over `*\/*`. A charset other than UTF-8 never matches.
 *
 * @example
 * matchMediaType(parseMediaType('application/json')!, ['application/json']); // 'application/json'
 */
export function matchMediaType(mt: MediaType, declared: readonly string[]): string | undefined {
  const charset = mt.params.get('charset');
  if (charset !== undefined && !['utf-8', 'utf8'].includes(charset.toLowerCase())) return undefined;
  const essences = declared.map((d) => ({ d, e: d.split(';')[0]!.trim().toLowerCase() }));
  const exact = essences.find((x) => x.e === mt.essence);
  if (exact !== undefined) return exact.d;
  const range = essences.find((x) => x.e === `${mt.essence.split('/')[0]}/*`);
  if (range !== undefined) return range.d;
  return essences.find((x) => x.e === '*/*')?.d;
}

/** The body format a declared media type is read as. */
export type BodyKind = 'json' | 'form' | 'multipart' | 'xml' | 'other';

/**
 * Classifies an essence: `+json` / `+xml` structured suffixes count as JSON / XML.
 *
 * @example
 * bodyKind('application/merge-patch+json'); // 'json'
 */
export function bodyKind(essence: string): BodyKind {
  if (essence === 'application/json' || essence.endsWith('+json')) return 'json';
  if (essence === 'application/x-www-form-urlencoded') return 'form';
  if (essence === 'multipart/form-data') return 'multipart';
  if (essence === 'application/xml' || essence === 'text/xml' || essence.endsWith('+xml')) return 'xml';
  return 'other';
}
