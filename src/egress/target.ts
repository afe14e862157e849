import type { CompiledEgress, CompiledIntegration } from './compile.js';

/** Where an egress request goes, as parsed from its request target. */
export type EgressTarget =
  | { readonly kind: 'absolute'; readonly url: URL; readonly rawPath: string }
  | { readonly kind: 'named'; readonly integration: CompiledIntegration; readonly url: URL; readonly rawPath: string }
  | { readonly kind: 'bad'; readonly detail: string }
  | { readonly kind: 'unknown-integration'; readonly name: string };

const ABSOLUTE = /^(https?):\/\/([^/?#]*)([^#]*)$/i;
const NAMED = /^\/egress\/([a-z0-9][a-z0-9_-]{0,62})(\/[^?#]*)?(\?[^#]*)?$/;

/**
 * Parses an egress request target: absolute-form (`http://host/path`, as proxies get them) or a
 * named route (`/egress/<integration>/<path>`, relative to the integration's upstream). The raw
 * path is kept beside the parsed URL because the URL parser resolves `..` and `%2e%2e`, and a
 * path allow-list must see the attempt, not its resolution. Userinfo (`http://user@host/`) is
 * refused: it is how a host check gets confused about which host is meant.
 *
 * @example
 * parseTarget('http://api.partner.example/v1/rates?x=1', egress); // { kind: 'absolute', url, rawPath: '/v1/rates' }
 */
export function parseTarget(target: string, egress: CompiledEgress): EgressTarget {
  const abs = ABSOLUTE.exec(target);
  if (abs !== null) {
    const authority = abs[2]!;
    if (authority === '' || authority.includes('@')) return { kind: 'bad', detail: 'The request target must name a host, without user information.' };
    let url: URL;
    try { url = new URL(target); } catch { return { kind: 'bad', detail: 'The request target is not a valid URL.' }; }
    return { kind: 'absolute', url, rawPath: (abs[3]!.split('?')[0] ?? '') || '/' };
  }
  if (target.startsWith('/')) {
    const named = NAMED.exec(target);
    if (named === null) return { kind: 'bad', detail: 'Send absolute-form requests (http://host/path), CONNECT host:port, or use a named route /egress/<integration>/<path>.' };
    const integration = egress.byName.get(named[1]!);
    if (integration?.upstream === undefined) return { kind: 'unknown-integration', name: named[1]! };
    const rest = named[2] ?? '';
    const base = integration.upstream.pathname.replace(/\/+$/, '');
    let url: URL;
    try { url = new URL(`${integration.upstream.origin}${base}${rest || (base === '' ? '/' : '')}${named[3] ?? ''}`); } catch { return { kind: 'bad', detail: 'The request target is not a valid path.' }; }
    return { kind: 'named', integration, url, rawPath: `${base}${rest}` || '/' };
  }
  return { kind: 'bad', detail: 'Send absolute-form requests (http://host/path), CONNECT host:port, or use a named route /egress/<integration>/<path>.' };
}

/** The default port of a URL's scheme when it names none. */
export function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}
