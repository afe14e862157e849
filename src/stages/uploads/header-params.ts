/**
 * A strict reader of `value; name=token; name="quoted"` header values (Content-Type,
 * Content-Disposition). Strict on purpose: whatever two parsers could read differently
 * (a repeated parameter, an unterminated quote, a stray character) is refused, so the
 * gateway never checks one reading of a part while the upstream acts on another.
 */

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A header value's leading token (lower-cased) and its parameters (names lower-cased). */
export interface ParsedHeaderValue {
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
}

/**
 * Parses `text`; undefined when it is malformed or repeats a parameter.
 *
 * @example
 * parseHeaderParams('form-data; name="f"; filename="a.png"')?.params.get('filename'); // 'a.png'
 */
export function parseHeaderParams(text: string): ParsedHeaderValue | undefined {
  let i = 0;
  const n = text.length;
  const skipWs = () => { while (i < n && (text[i] === ' ' || text[i] === '\t')) i++; };
  skipWs();
  const start = i;
  while (i < n && text[i] !== ';' && text[i] !== ' ' && text[i] !== '\t') i++;
  const value = text.slice(start, i).toLowerCase();
  if (value === '') return undefined;
  const params = new Map<string, string>();
  for (;;) {
    skipWs();
    if (i >= n) break;
    if (text[i] !== ';') return undefined;
    i++;
    skipWs();
    // A trailing ';' is common enough (and harmless) to allow.
    if (i >= n) break;
    const nameStart = i;
    while (i < n && text[i] !== '=' && text[i] !== ';' && text[i] !== ' ' && text[i] !== '\t') i++;
    const name = text.slice(nameStart, i).toLowerCase();
    if (!TOKEN.test(name) || text[i] !== '=') return undefined;
    i++;
    let v: string;
    if (text[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        // No backslash escapes: browsers never write them (HTML percent-encodes a quote as %22) and
        // parsers disagree on them (`name="p\c"` is "pc" to one, "p\c" to another).
        if (c === '"') { closed = true; i++; break; }
        out += c;
        i++;
      }
      if (!closed) return undefined;
      v = out;
    } else {
      const vs = i;
      while (i < n && text[i] !== ';' && text[i] !== ' ' && text[i] !== '\t') i++;
      v = text.slice(vs, i);
      // An unquoted value must be a token: `filename=*a.pdf"` is a file name to one parser and nothing to another.
      if (!TOKEN.test(v)) return undefined;
    }
    if (params.has(name)) return undefined;
    params.set(name, v);
  }
  return { value, params };
}

/**
 * Decodes an RFC 8187 ext-value (`UTF-8''na%C3%AFve.txt`); undefined for another charset or bad encoding.
 *
 * @example
 * decodeExtValue("UTF-8''%E2%82%AC.pdf"); // '€.pdf'
 */
export function decodeExtValue(text: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(.*)$/.exec(text);
  if (m === null || m[1]!.toLowerCase() !== 'utf-8') return undefined;
  try {
    return decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
}

const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * The boundary of a `multipart/form-data` Content-Type (RFC 2046 5.1.1), or undefined when
 * the type is another one or its boundary is missing or invalid.
 *
 * @example
 * multipartBoundary('multipart/form-data; boundary=----x'); // '----x'
 */
export function multipartBoundary(contentType: string): string | undefined {
  const parsed = parseHeaderParams(contentType);
  if (parsed === undefined || parsed.value !== 'multipart/form-data') return undefined;
  const b = parsed.params.get('boundary');
  return b !== undefined && BCHARS.test(b) ? b : undefined;
}
