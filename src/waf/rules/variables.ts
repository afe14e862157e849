/**
 * Parses SecRule target lists: `ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^_ga/`.
 */
import { WafLoadError } from './errors.js';
import { compileKeySelector, type KeyMatcher } from '../regex/key-selector.js';

/** A selector narrows a collection to keys equal to a name or matching a regex. */
export type Selector =
  | { readonly kind: 'all' }
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'regex'; readonly source: string; readonly regex: KeyMatcher };

/** One entry of a target list. `count` is `&`, `exclude` is `!`. */
export interface VariableSpec {
  readonly collection: string;
  readonly selector: Selector;
  readonly count: boolean;
  readonly exclude: boolean;
}

/** Every variable name the engine can resolve; anything else is a load error. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES', 'ARGS_COMBINED_SIZE',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME', 'REQUEST_LINE',
  'REQUEST_METHOD', 'REQUEST_PROTOCOL', 'QUERY_STRING', 'REQUEST_BODY', 'REQUEST_BODY_LENGTH',
  'FILES', 'FILES_NAMES', 'FILES_SIZES', 'FILES_COMBINED_SIZE', 'FILES_TMPNAMES', 'MULTIPART_PART_HEADERS',
  'MULTIPART_FILENAME', 'MULTIPART_NAME', 'MULTIPART_STRICT_ERROR', 'MULTIPART_UNMATCHED_BOUNDARY',
  'REQBODY_ERROR', 'REQBODY_ERROR_MSG', 'REQBODY_PROCESSOR', 'REQBODY_PROCESSOR_ERROR', 'XML', 'TX', 'IP', 'GLOBAL',
  'SESSION', 'USER', 'ENV', 'MATCHED_VAR', 'MATCHED_VARS', 'MATCHED_VAR_NAME', 'MATCHED_VARS_NAMES',
  'REMOTE_ADDR', 'REMOTE_HOST', 'REMOTE_PORT', 'SERVER_NAME', 'SERVER_ADDR', 'SERVER_PORT', 'UNIQUE_ID',
  'DURATION', 'TIME', 'TIME_EPOCH', 'AUTH_TYPE', 'RESPONSE_BODY', 'RESPONSE_HEADERS', 'RESPONSE_HEADERS_NAMES',
  'RESPONSE_STATUS', 'RESPONSE_PROTOCOL', 'RESPONSE_CONTENT_TYPE', 'RESPONSE_CONTENT_LENGTH', 'STATUS_LINE',
  'RULE', 'WEBSERVER_ERROR_LOG', 'INBOUND_DATA_ERROR', 'OUTBOUND_DATA_ERROR', 'HIGHEST_SEVERITY', 'FULL_REQUEST',
  'FULL_REQUEST_LENGTH', 'REQUEST_BODY_ERROR', 'URLENCODED_ERROR', 'STATUS', 'GEO',
]);

/**
 * Parses a target list into specs, compiling regex selectors once.
 *
 * @example
 * parseVariables('ARGS|!ARGS:id', 'x.conf', 1) // [{collection:'ARGS',...}, {collection:'ARGS', selector:{kind:'key',key:'id'}, exclude:true,...}]
 */
export function parseVariables(text: string, file: string, line: number): VariableSpec[] {
  const parts = splitTargets(text);
  return parts.map((p) => parseOne(p.trim(), file, line));
}

function splitTargets(text: string): string[] {
  // `|` inside a /regex/ selector belongs to the regex; a selector is a regex only when a
  // closing `/` ends the target (so `XML:/*|XML://@*` stays two XPath-ish targets).
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '/' && cur.endsWith(':')) {
      const end = closingSlash(text, i + 1);
      if (end !== -1) { cur += text.slice(i, end + 1); i = end; continue; }
    }
    if (c === '|') { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

function closingSlash(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '/' && (j + 1 === text.length || text[j + 1] === '|')) return j;
  }
  return -1;
}

function parseOne(part: string, file: string, line: number): VariableSpec {
  let p = part;
  let exclude = false;
  let count = false;
  if (p.startsWith('!')) { exclude = true; p = p.slice(1); }
  if (p.startsWith('&')) { count = true; p = p.slice(1); }
  const colon = p.indexOf(':');
  const name = (colon === -1 ? p : p.slice(0, colon)).toUpperCase();
  let sel = colon === -1 ? '' : p.slice(colon + 1);
  if (!KNOWN_VARIABLES.has(name)) throw new WafLoadError(`unknown variable ${name}`, file, line);
  if (sel.startsWith("'") && sel.endsWith("'") && sel.length >= 2) sel = sel.slice(1, -1);
  let selector: Selector = { kind: 'all' };
  if (sel.length >= 2 && sel.startsWith('/') && sel.endsWith('/')) {
    const source = sel.slice(1, -1);
    try {
      selector = { kind: 'regex', source, regex: compileKeySelector(source) };
    } catch (e) {
      throw new WafLoadError(`bad selector regex ${source}: ${(e as Error).message}`, file, line);
    }
  } else if (sel !== '') {
    selector = { kind: 'key', key: sel.toLowerCase() };
  }
  return { collection: name, selector, count, exclude };
}
