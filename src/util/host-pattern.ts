/**
 * Host allow-lists of egress integrations. Patterns are compiled once; a request host is
 * compared after the URL parser has canonicalised it (lower case, IP literals in one form)
 * and without a trailing dot, so `API.Partner.Example.` is `api.partner.example`.
 */

/** A compiled host pattern list. */
export interface HostMatcher {
  matches(host: string): boolean;
}

/** `api.partner.example.` → `api.partner.example`; IPv6 literals keep their brackets. */
export function canonicalHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/**
 * Compiles patterns: `*` (any host), `*.partner.example` (strict subdomains only), or an exact
 * name or address. IP literal patterns go through the URL parser, so `0177.0.0.1` in a pattern
 * and `127.0.0.1` in a request are the same host.
 *
 * @example
 * compileHosts(['*.partner.example']).matches('eu.partner.example'); // true
 * compileHosts(['*.partner.example']).matches('partner.example');    // false
 */
export function compileHosts(patterns: readonly string[]): HostMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const p of patterns) {
    if (p === '*') any = true;
    else if (p.startsWith('*.')) suffixes.push(`.${canonicalHost(p.slice(2))}`);
    else exact.add(canonicalHost(new URL(`http://${p}/`).hostname));
  }
  return {
    matches: (host) => {
      if (any) return true;
      const h = canonicalHost(host);
      return exact.has(h) || suffixes.some((s) => h.endsWith(s) && h.length > s.length);
    },
  };
}

/**
 * True when `path` lies under one of `prefixes` segment-wise (`/v1` covers `/v1` and `/v1/x`,
 * not `/v10`). Call it only with a path already refused for dot segments and encoded slashes.
 */
export function underPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => {
    const base = p.endsWith('/') ? p.slice(0, -1) : p;
    return base === '' || path === base || path.startsWith(`${base}/`);
  });
}

/**
 * Paths the gateway refuses outright: dot segments (raw or percent-encoded), encoded slashes
 * and backslashes, NUL. They are how a path allow-list gets walked out of (`/v1/../admin`).
 */
export function unsafePath(path: string): boolean {
  if (/%2f|%5c|%00|\\/i.test(path)) return true;
  return path.split('/').some((seg) => {
    const s = seg.replace(/%2e/gi, '.');
    return s === '.' || s === '..';
  });
}
