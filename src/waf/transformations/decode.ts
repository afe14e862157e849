/**
 * HTML, JavaScript, CSS and C escape decoders.
 */
import type { Transformation } from '../types.js';

const NAMED: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\xa0', apos: "'" };

/**
 * Decodes `&#NN;`, `&#xHH;` and the common named entities (semicolon optional for numeric ones).
 * Leading zeros are skipped however many there are (`&#000…0123;` is `{`, a Log4Shell evasion).
 *
 * @example
 * htmlEntityDecode('&lt;&#x41;&#66').value // '<AB'
 */
export const htmlEntityDecode: Transformation = (s) => {
  if (!s.includes('&')) return { value: s, changed: false };
  const value = s.replace(/&(?:#[xX]0*([0-9a-fA-F]{1,8});?|#0*([0-9]{1,10});?|(quot|amp|lt|gt|nbsp|apos);)/gi, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16) & 0xff);
    if (dec !== undefined) return String.fromCharCode(parseInt(dec, 10) & 0xff);
    return NAMED[(name ?? '').toLowerCase()] ?? m;
  });
  return { value, changed: value !== s };
};

const C_ESC: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"' };

/**
 * Decodes JavaScript escapes: `\xHH`, `\uHHHH` (low byte; full-width ASCII mapped), `\NNN` octal, and `\n`-style.
 *
 * @example
 * jsDecode('\\x41\\u0042\\n').value // 'AB\n'
 */
export const jsDecode: Transformation = (s) => {
  if (!s.includes('\\')) return { value: s, changed: false };
  const value = s.replace(/\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-7]{1,3})|([\s\S]))/g, (_m, u: string | undefined, x: string | undefined, o: string | undefined, c: string | undefined) => {
    if (u !== undefined) {
      const cp = parseInt(u, 16);
      return String.fromCharCode(cp >= 0xff01 && cp <= 0xff5e ? cp - 0xfee0 : cp & 0xff);
    }
    if (x !== undefined) return String.fromCharCode(parseInt(x, 16));
    if (o !== undefined) return String.fromCharCode(parseInt(o, 8) & 0xff);
    return C_ESC[c ?? ''] ?? (c ?? '');
  });
  return { value, changed: value !== s };
};

/**
 * Decodes CSS escapes `\H..HHHHHH` (one optional trailing whitespace) and `\c`; a backslash-newline is removed.
 *
 * @example
 * cssDecode('\\3c script').value // '<script'
 */
export const cssDecode: Transformation = (s) => {
  if (!s.includes('\\')) return { value: s, changed: false };
  const value = s.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\n)|([\s\S]))/g, (_m, h: string | undefined, nl: string | undefined, c: string | undefined) => {
    if (h !== undefined) {
      const cp = parseInt(h, 16);
      return String.fromCharCode(cp >= 0xff01 && cp <= 0xff5e ? cp - 0xfee0 : cp & 0xff);
    }
    if (nl !== undefined) return '';
    return c ?? '';
  });
  return { value, changed: value !== s };
};

/**
 * Decodes ANSI C escapes `\n`, `\xHH`, `\NNN`.
 *
 * @example
 * escapeSeqDecode('\\x41\\n').value // 'A\n'
 */
export const escapeSeqDecode: Transformation = (s) => {
  if (!s.includes('\\')) return { value: s, changed: false };
  const value = s.replace(/\\(?:x([0-9a-fA-F]{2})|([0-7]{1,3})|([abfnrtv\\?'"]))/g, (m, x: string | undefined, o: string | undefined, c: string | undefined) => {
    if (x !== undefined) return String.fromCharCode(parseInt(x, 16));
    if (o !== undefined) return String.fromCharCode(parseInt(o, 8) & 0xff);
    return C_ESC[c ?? ''] ?? m;
  });
  return { value, changed: value !== s };
};
