/**
 * Character classes and percent-encoding rules shared by request-path normalisation and
 * route-template literals, so that a template and a request spell the same path the same way.
 *
 * The canonical form (RFC 3986 section 6.2.2, made stricter):
 * - unreserved characters (`A-Z a-z 0-9 - . _ ~`) are never percent-encoded;
 * - sub-delims, `:` and `@` stay as they are, raw or encoded (the RFC does not make them equivalent);
 * - characters that may not appear raw in a path (space, `"`, `<`, `>`, `[`, `]`, `^`, `` ` ``,
 *   `{`, `|`, `}`) are percent-encoded;
 * - percent-encoded bytes use upper-case hex and must form valid UTF-8;
 * - control characters, `\`, and encoded `/`, `\` or control characters are refused.
 */

/** {@link CHAR_CLASS} value of a character that is kept as it is. */
export const KEEP = 1;
/** A character that is percent-encoded in the canonical form. */
export const ENCODE = 2;
/** `%`: starts a percent-encoded triplet. */
export const PERCENT = 3;
/** A character refused outright (controls, backslash). */
export const REFUSE = 0;

/**
 * Class of each ASCII code point (index = char code): KEEP, ENCODE, PERCENT or REFUSE.
 *
 * @example
 * CHAR_CLASS['|'.charCodeAt(0)] === ENCODE; // true
 */
export const CHAR_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128).fill(ENCODE);
  for (let c = 0; c < 0x20; c++) table[c] = REFUSE;
  table[0x7f] = REFUSE;
  table[0x5c] = REFUSE; // '\'
  table[0x25] = PERCENT;
  const keep = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~' + "!$&'()*+,;=:@/";
  for (let i = 0; i < keep.length; i++) table[keep.charCodeAt(i)] = KEEP;
  return table;
})();

const UNRESERVED: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

const HEX_DIGITS = '0123456789ABCDEF';

/**
 * True when `byte` is an unreserved ASCII character (`A-Z a-z 0-9 - . _ ~`).
 *
 * @example
 * isUnreserved(0x2e); // true ('.')
 */
export function isUnreserved(byte: number): boolean {
  return byte < 128 && UNRESERVED[byte] === 1;
}

/**
 * Value of one hex digit (either case), or -1.
 *
 * @example
 * hexValue('f'.charCodeAt(0)); // 15
 */
export function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * `%XX` with upper-case hex for one byte.
 *
 * @example
 * encodeByte(0x7c); // '%7C'
 */
export function encodeByte(byte: number): string {
  return '%' + HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
}

/**
 * Incremental UTF-8 validator for a run of percent-encoded bytes: rejects overlong forms
 * (`%C0%AE` is an old trick for `.`), surrogates, code points above U+10FFFF and truncated
 * sequences.
 *
 * @example
 * const check = new Utf8Check();
 * check.push(0xc0); // false: overlong
 */
export class Utf8Check {
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;

  /** True when no multi-byte sequence is open. */
  get complete(): boolean {
    return this.#need === 0;
  }

  /** Feeds one byte; false when the byte cannot appear here in valid UTF-8. */
  push(byte: number): boolean {
    if (this.#need === 0) {
      if (byte < 0x80) return true;
      if (byte >= 0xc2 && byte <= 0xdf) { this.#need = 1; return true; }
      if (byte >= 0xe0 && byte <= 0xef) {
        this.#need = 2;
        if (byte === 0xe0) this.#lower = 0xa0;
        if (byte === 0xed) this.#upper = 0x9f;
        return true;
      }
      if (byte >= 0xf0 && byte <= 0xf4) {
        this.#need = 3;
        if (byte === 0xf0) this.#lower = 0x90;
        if (byte === 0xf4) this.#upper = 0x8f;
        return true;
      }
      return false;
    }
    if (byte < this.#lower || byte > this.#upper) return false;
    this.#lower = 0x80;
    this.#upper = 0xbf;
    this.#need -= 1;
    return true;
  }
}

/**
 * Brings a literal from a route template or prefix into the canonical form used by
 * {@link normalizePath}, so `/caf%c3%a9`, `/café` and `/caf%C3%A9` are the same literal.
 * Returns a problem description instead when the literal could never match a normalised path.
 *
 * @example
 * canonicalLiteral('caf%c3%a9'); // { value: 'caf%C3%A9' }
 * canonicalLiteral('%70ets');    // { value: 'pets' }
 * canonicalLiteral('a%2Fb');     // { problem: 'contains an encoded "/" or "\\"' }
 */
export function canonicalLiteral(literal: string): { value: string } | { problem: string } {
  let out = '';
  const utf8 = new Utf8Check();
  for (let i = 0; i < literal.length; i++) {
    const code = literal.charCodeAt(i);
    if (code >= 128) {
      if (!utf8.complete) return { problem: 'contains invalid UTF-8 percent-encoding' };
      // Template authors may write non-ASCII text; requests carry it as UTF-8 percent-encoding.
      const cp = literal.codePointAt(i)!;
      if (cp > 0xffff) i++;
      if (cp >= 0xd800 && cp <= 0xdfff) return { problem: 'contains a lone surrogate' };
      for (const byte of new TextEncoder().encode(String.fromCodePoint(cp))) out += encodeByte(byte);
      continue;
    }
    const cls = CHAR_CLASS[code]!;
    if (cls === REFUSE) return { problem: code === 0x5c ? 'contains a backslash' : 'contains a control character' };
    if (cls === KEEP) {
      if (!utf8.complete) return { problem: 'contains invalid UTF-8 percent-encoding' };
      out += literal[i]!;
      continue;
    }
    if (cls === ENCODE) {
      if (!utf8.complete) return { problem: 'contains invalid UTF-8 percent-encoding' };
      out += encodeByte(code);
      continue;
    }
    const hi = hexValue(literal.charCodeAt(i + 1));
    const lo = hexValue(literal.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return { problem: 'contains an invalid percent-encoding' };
    const byte = (hi << 4) | lo;
    i += 2;
    if (byte === 0x2f || byte === 0x5c) return { problem: 'contains an encoded "/" or "\\"' };
    if (byte < 0x20 || byte === 0x7f) return { problem: 'contains an encoded control character' };
    if (!utf8.push(byte)) return { problem: 'contains invalid UTF-8 percent-encoding' };
    out += isUnreserved(byte) ? String.fromCharCode(byte) : encodeByte(byte);
  }
  if (!utf8.complete) return { problem: 'contains invalid UTF-8 percent-encoding' };
  return { value: out };
}
