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
 * Turns UTF-8 multi-byte sequences into `%uXXXX` so rules can match them as text.
 *
 * @example
 * utf8toUnicode('\u00c3\u00a9').value // '%u00e9'
 */
export const utf8toUnicode: Transformation = (s) => {
  if (!/[\x80-\xff]/.test(s)) return { value: s, changed: false };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    let need = 0;
    let cp = 0;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; }
    let ok = need > 0 && i + need < s.length + 0 + 1 && i + need <= s.length - 1 + 1;
    for (let k = 1; ok && k <= need; k++) {
      const nb = s.charCodeAt(i + k);
      if (Number.isNaN(nb) || (nb & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (nb & 0x3f);
    }
    if (ok) { out += `%u${cp.toString(16).padStart(4, '0')}`; i += need; }
    else out += s[i];
  }
  return { value: out, changed: out !== s };
};
