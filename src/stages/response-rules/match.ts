/**
 * Compiles `match.status` into one predicate: exact statuses in a set, classes and ranges as bounds.
 *
 * @example
 * const m = statusMatcher([404, '5XX', '400-403']);
 * m(502); // true
 */
export function statusMatcher(patterns: readonly (number | string)[] | undefined): (status: number) => boolean {
  if (patterns === undefined) return () => true;
  const exact = new Set<number>();
  const ranges: [number, number][] = [];
  for (const p of patterns) {
    if (typeof p === 'number') exact.add(p);
    else if (p.endsWith('XX')) ranges.push([Number(p[0]) * 100, Number(p[0]) * 100 + 99]);
    else {
      const [from, to] = p.split('-').map(Number) as [number, number];
      if (from > to) throw new Error(`status range "${p}" is empty (write the lower bound first)`);
      ranges.push([from, to]);
    }
  }
  return (status) => exact.has(status) || ranges.some(([a, b]) => status >= a && status <= b);
}

/**
 * Compiles `match.contentType`: exact essences and `type/*` wildcards, compared with the
 * response's Content-Type essence (parameters dropped, lower case).
 *
 * @example
 * contentTypeMatcher(['text/*'])('text/html; charset=utf-8'); // true
 */
export function contentTypeMatcher(types: readonly string[] | undefined): (contentType: unknown) => boolean {
  if (types === undefined) return () => true;
  const exact = new Set(types.filter((t) => !t.endsWith('/*')));
  const prefixes = types.filter((t) => t.endsWith('/*')).map((t) => t.slice(0, -1));
  return (contentType) => {
    if (typeof contentType !== 'string') return false;
    const essence = contentType.split(';')[0]!.trim().toLowerCase();
    return exact.has(essence) || prefixes.some((p) => essence.startsWith(p));
  };
}

/** The response's Content-Type essence says JSON (`application/json`, `*+json`). */
export function isJsonType(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence.endsWith('+json');
}
