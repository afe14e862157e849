import { GatewayError } from '../errors/index.js';
import { CHAR_CLASS, ENCODE, KEEP, REFUSE, Utf8Check, encodeByte, hexValue, isUnreserved } from './percent.js';

/** A request target split into its normalised path and its raw query. */
export interface NormalizedTarget {
  /** The canonical path: what the router matches and what the upstream receives. */
  readonly path: string;
  /** The query as sent, without the `?` ('' when there is none). */
  readonly query: string;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Normalises an HTTP request-target once, before routing; the upstream receives exactly the
 * returned path (see docs/adr/0002-path-normalisation.md). Throws `GatewayError('PCL_BAD_PATH')`
 * (400) when the target is refused.
 *
 * Rules, in order:
 * 1. Form: origin-form (`/path?query`) or absolute-form `http://host/path?query` /
 *    `https://...` (only its path and query are kept; the authority is ignored here). `*` and
 *    anything else are refused (the caller handles `OPTIONS *` before calling this).
 * 2. A fragment (`#` anywhere) is refused. The query is everything after the first `?`, returned
 *    raw; control characters, spaces and non-ASCII characters in it are refused.
 * 3. Refused in the path: raw control characters, raw `\`, raw non-ASCII characters, invalid
 *    percent-encoding (`%zz`, `%4`), encoded `/` or `\` (`%2F`, `%5C`, any case), encoded
 *    control characters (`%00`-`%1F`, `%7F`), and percent-encoded bytes that are not valid
 *    UTF-8 (overlong forms such as `%C0%AE`, surrogates, truncated sequences).
 * 4. Encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, so `/%70ets` is
 *    `/pets`; other encodings are kept with upper-case hex (`%c3%a9` becomes `%C3%A9`);
 *    characters that may not appear raw in a path (space, `"`, `<`, `>`, `[`, `]`, `^`,
 *    `` ` ``, `{`, `|`, `}`) are percent-encoded. Sub-delims, `:` and `@` are left as sent.
 * 5. Repeated slashes collapse (`//a///b` is `/a/b`); a trailing slash is kept (`/a/` is
 *    not `/a`).
 * 6. Dot-segments, including encoded ones (`%2e`, `.%2E`), are resolved per RFC 3986
 *    section 5.2.4: `/a/./b` is `/a/b`, `/a/b/..` is `/a/`. A path that climbs above the root
 *    (`/..`, `/api/../../x`) is refused. One that stays inside it is routed as what it resolves
 *    to: `/api/../admin` is `/admin`, so it reaches nothing `/admin` could not.
 * 7. A dot-segment carrying a path parameter (`/..;/admin`, `/.;x`, `/..%3B`) is refused:
 *    some servers strip `;...` and would climb where the gateway did not.
 *
 * The length is bounded by the server's header limit, not here.
 *
 * @example
 * normalizePath('/v1/%70ets//42/../7?limit=5'); // { path: '/v1/pets/7', query: 'limit=5' }
 * normalizePath('/files/a%2Fb');                // throws GatewayError PCL_BAD_PATH
 */
export function normalizePath(rawTarget: string): NormalizedTarget {
  const target = rawTarget.charCodeAt(0) === SLASH ? rawTarget : pathOfAbsoluteForm(rawTarget);
  if (target.indexOf('#') !== -1) throw bad('The request target must not contain a fragment.');
  const q = target.indexOf('?');
  const query = q === -1 ? '' : target.slice(q + 1);
  if (query !== '') checkQuery(query);
  const rawPath = q === -1 ? target : target.slice(0, q);
  return { path: isCanonical(rawPath) ? rawPath : canonicalize(rawPath), query };
}

function bad(detail: string): GatewayError {
  return new GatewayError('PCL_BAD_PATH', { detail });
}

function pathOfAbsoluteForm(target: string): string {
  const scheme = target.slice(0, 8).toLowerCase();
  const start = scheme.startsWith('http://') ? 7 : scheme.startsWith('https://') ? 8 : -1;
  if (start === -1) throw bad('The request target must be an absolute path.');
  let i = start;
  while (i < target.length) {
    const c = target.charCodeAt(i);
    if (c === SLASH || c === 0x3f || c === 0x23) break;
    i++;
  }
  if (i === start) throw bad('The request target must be an absolute path.');
  if (i === target.length) return '/';
  return target.charCodeAt(i) === SLASH ? target.slice(i) : '/' + target.slice(i);
}

function checkQuery(query: string): void {
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw bad('The query contains a character that is not allowed.');
  }
}

/**
 * The fast path: true when the path is already canonical (only characters kept as they are,
 * no `%`, no `//`, no segment starting with `.`). Segments starting with a dot take the slow
 * path, which also refuses `..;x`.
 */
function isCanonical(path: string): boolean {
  let segmentStart = 1;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || CHAR_CLASS[c] !== KEEP) return false;
    if (c === SLASH) {
      if (i === segmentStart) return false;
      segmentStart = i + 1;
    } else if (c === DOT && i === segmentStart) {
      return false;
    }
  }
  return true;
}

function canonicalize(path: string): string {
  const segments: string[] = [];
  const utf8 = new Utf8Check();
  let current = '';
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128) throw bad('The request path contains a raw non-ASCII character.');
    const cls = CHAR_CLASS[c]!;
    if (cls === REFUSE) {
      throw bad(c === 0x5c ? 'The request path contains a backslash.' : 'The request path contains a control character.');
    }
    if (cls === KEEP || cls === ENCODE) {
      if (!utf8.complete) throw bad('The request path contains invalid UTF-8 percent-encoding.');
      if (c === SLASH) {
        segments.push(current);
        current = '';
      } else {
        current += cls === KEEP ? path[i]! : encodeByte(c);
      }
      continue;
    }
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) throw bad('The request path contains an invalid percent-encoding.');
    const byte = (hi << 4) | lo;
    i += 2;
    if (byte === SLASH || byte === 0x5c) throw bad('The request path contains an encoded slash or backslash.');
    if (byte < 0x20 || byte === 0x7f) throw bad('The request path contains an encoded control character.');
    if (!utf8.push(byte)) throw bad('The request path contains invalid UTF-8 percent-encoding.');
    current += isUnreserved(byte) ? String.fromCharCode(byte) : encodeByte(byte);
  }
  if (!utf8.complete) throw bad('The request path contains invalid UTF-8 percent-encoding.');
  segments.push(current);
  return resolveDotSegments(segments);
}

/** RFC 3986 5.2.4 over a list of segments, with empty segments collapsed and climbing refused. */
function resolveDotSegments(segments: string[]): string {
  const out: string[] = [];
  const lastIndex = segments.length - 1;
  for (let i = 0; i <= lastIndex; i++) {
    const segment = segments[i]!;
    const last = i === lastIndex;
    if (segment === '.' || segment === '') {
      if (last) out.push('');
    } else if (segment === '..') {
      if (out.length === 0) throw bad('The request path climbs above the root.');
      out.pop();
      if (last) out.push('');
    } else {
      if (segment.charCodeAt(0) === DOT && isDotWithParameter(segment)) {
        throw bad('The request path contains a dot-segment with a parameter.');
      }
      out.push(segment);
    }
  }
  return '/' + out.join('/');
}

function isDotWithParameter(segment: string): boolean {
  const semi = segment.indexOf(';');
  const encoded = segment.indexOf('%3B');
  const cut = semi === -1 ? encoded : encoded === -1 ? semi : Math.min(semi, encoded);
  if (cut === -1) return false;
  const base = segment.slice(0, cut);
  return base === '.' || base === '..';
}
