/**
 * URL decoding transformations (ModSecurity semantics on byte strings).
 */
import type { Transformation } from '../types.js';

const HEX = /^[0-9a-fA-F]{2}$/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Decodes `%XX` and `+`; invalid escapes stay. @example urlDecode('a%41+b').value // 'aA b' */
export const urlDecode: Transformation = (s) => {
  if (!/[%+]/.test(s)) return { value: s, changed: false };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '+') { out += ' '; continue; }
    if (c === '%' && HEX.test(s.slice(i + 1, i + 3))) { out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; continue; }
    out += c;
  }
  return { value: out, changed: out !== s };
};

/**
 * Like urlDecode, plus IIS `%uXXXX`: full-width ASCII (U+FF01-FF5E) maps to ASCII, other code points keep their low byte.
 *
 * @example
 * urlDecodeUni('%u0041%uff1c').value // 'A<'
 */
export const urlDecodeUni: Transformation = (s) => {
  if (!/[%+]/.test(s)) return { value: s, changed: false };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '+') { out += ' '; continue; }
    if (c === '%') {
      if ((s[i + 1] === 'u' || s[i + 1] === 'U') && HEX4.test(s.slice(i + 2, i + 6))) {
        const cp = parseInt(s.slice(i + 2, i + 6), 16);
        out += String.fromCharCode(cp >= 0xff01 && cp <= 0xff5e ? cp - 0xfee0 : cp & 0xff);
        i += 5;
        continue;
      }
      if (HEX.test(s.slice(i + 1, i + 3))) { out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; continue; }
    }
    out += c;
  }
  return { value: out, changed: out !== s };
};

/** Percent-encodes everything but unreserved characters. @example urlEncode('a b').value // 'a+b' */
export const urlEncode: Transformation = (s) => {
  let out = '';
  for (const c of s) {
    if (/[A-Za-z0-9*\-._]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return { value: out, changed: out !== s };
};

/**
 * Turns UTF-8 multi-byte sequences into `%uXXXX` (lower-case hex, at least four digits) so rules
 * can match them as text, byte for byte as libmodsecurity 3 does it:
 * - a 2-, 3- or 4-byte sequence with well-formed continuation bytes is decoded whatever its value,
 *   so the overlong `C0 AF` becomes `%u002f` (a `/` once t:urlDecodeUni runs); an overlong form
 *   or a surrogate keeps its lead byte after the escape (`%u002f\xc0`), and a lead byte F5-F7
 *   (beyond U+10FFFF) is kept before it;
 * - a lead byte whose continuation bytes are missing or malformed is dropped;
 * - stray continuation bytes and F8-FF stay as they are; NUL bytes are dropped.
 *
 * @example
 * utf8toUnicode('\u00c3\u00a9').value // '%u00e9'
 * utf8toUnicode('..\u00c0\u00af..').value // '..%u002f\u00c0..'
 */
export const utf8toUnicode: Transformation = (s) => {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00\x80-\xff]/.test(s)) return { value: s, changed: false };
  let out = '';
  const n = s.length;
  for (let i = 0; i < n;) {
    const b = s.charCodeAt(i);
    if (b < 0x80) {
      if (b !== 0) out += s[i];
      i++;
      continue;
    }
    const len = (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
    if (len === 0) { out += s[i]; i++; continue; }
    if (len === 4 && b >= 0xf5) out += s[i];
    let cp = b & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    let ok = true;
    for (let k = 1; k < len; k++) {
      const c = i + k < n ? s.charCodeAt(i + k) : 0;
      if ((c & 0xc0) !== 0x80) { ok = false; break; }
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok) { i++; continue; }
    out += `%u${cp.toString(16).padStart(4, '0')}`;
    if (cp >= 0xd800 && cp <= 0xdfff) out += s[i];
    if (cp < (len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000)) out += s[i];
    i += len;
  }
  return { value: out, changed: out !== s };
};
