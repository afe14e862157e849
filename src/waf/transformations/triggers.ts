/**
 * Which characters can make a transformation change its input (ADR 0016). CRS applies a
 * chain such as `utf8toUnicode,urlDecodeUni,htmlEntityDecode,jsDecode,cssDecode` to every
 * argument, and on benign values nearly every step returns its input unchanged: a value
 * whose character classes miss every step's triggers skips the chain without running it.
 *
 * Each value is summarised once as a bit mask of character classes (`charMask`); each
 * shipped transformation declares the classes without which it is the identity
 * (`triggerMask`). A transformation without a declaration (a registered custom one) always
 * runs. A test checks every declaration on random strings.
 */
import type { Transformation } from '../types.js';
import * as simple from './simple.js';
import * as hash from './hash.js';
import * as url from './url.js';
import * as decode from './decode.js';
import * as text from './text.js';

const UPPER = 1 << 0;
const LOWER = 1 << 1;
const SPACE = 1 << 2;
/** Whitespace other than a space, or two whitespace characters in a row. */
const WS_OTHER = 1 << 3;
const NUL = 1 << 4;
/** Anything from U+0080 on (Latin-1 bytes, and the odd JSON `\u` escape). */
const HIGH = 1 << 5;
const PERCENT = 1 << 6;
const PLUS = 1 << 7;
const AMP = 1 << 8;
const BACKSLASH = 1 << 9;
const SLASH = 1 << 10;
const DOT = 1 << 11;
const STAR = 1 << 12;
const LT = 1 << 13;
const DASH = 1 << 14;
const HASH = 1 << 15;
const QUOTES = 1 << 16;
const CARET = 1 << 17;
const COMMA_SEMI = 1 << 18;
const PAREN = 1 << 19;
/** Set in every mask: a transformation triggered by it always runs. */
const ALWAYS = 1 << 20;

const ASCII = new Int32Array(128);
for (let c = 65; c <= 90; c++) ASCII[c] = UPPER;
for (let c = 97; c <= 122; c++) ASCII[c] = LOWER;
ASCII[0x20] = SPACE;
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d]) ASCII[c] = WS_OTHER;
ASCII[0] = NUL;
const put = (chars: string, bit: number): void => { for (const ch of chars) ASCII[ch.charCodeAt(0)] = bit; };
put('%', PERCENT); put('+', PLUS); put('&', AMP); put('\\', BACKSLASH); put('/', SLASH); put('.', DOT); put('*', STAR);
put('<', LT); put('-', DASH); put('#', HASH); put('"\'', QUOTES); put('^', CARET); put(',;', COMMA_SEMI); put('(', PAREN);

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x80;

/**
 * The character classes of `s` as a bit mask.
 *
 * @example
 * (charMask('a b') & triggerMask(lowercase)) === 0 // true: lowercase leaves 'a b' alone
 */
export function charMask(s: string): number {
  let m = ALWAYS;
  let prevSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    m |= c < 128 ? ASCII[c]! : HIGH;
    const sp = isSpace(c);
    if (sp && prevSpace) m |= WS_OTHER;
    prevSpace = sp;
  }
  return m;
}

const TRIGGERS = new Map<Transformation, number>([
  [simple.none, 0],
  [simple.lowercase, UPPER],
  [simple.uppercase, LOWER],
  [simple.compressWhitespace, WS_OTHER | HIGH],
  [simple.removeWhitespace, SPACE | WS_OTHER | HIGH],
  [simple.trim, SPACE | WS_OTHER | HIGH],
  [simple.trimLeft, SPACE | WS_OTHER | HIGH],
  [simple.trimRight, SPACE | WS_OTHER | HIGH],
  [simple.removeNulls, NUL],
  [simple.replaceNulls, NUL],
  [url.urlDecode, PERCENT | PLUS],
  [url.urlDecodeUni, PERCENT | PLUS],
  [url.utf8toUnicode, NUL | HIGH],
  [decode.htmlEntityDecode, AMP],
  [decode.jsDecode, BACKSLASH],
  [decode.cssDecode, BACKSLASH],
  [decode.escapeSeqDecode, BACKSLASH],
  [text.replaceComments, SLASH],
  [text.removeComments, SLASH | LT | DASH | HASH],
  [text.removeCommentsChar, SLASH | STAR | LT | DASH | HASH],
  [text.cmdLine, UPPER | WS_OTHER | HIGH | BACKSLASH | QUOTES | CARET | COMMA_SEMI | SLASH | PAREN],
  [text.normalisePath, SLASH | DOT],
  [text.normalisePathWin, SLASH | DOT | BACKSLASH],
  // Digests, encoders and base64 change (almost) every input.
  [simple.length, ALWAYS], [simple.hexEncode, ALWAYS], [simple.hexDecode, ALWAYS], [url.urlEncode, ALWAYS],
  [hash.sha1, ALWAYS], [hash.md5, ALWAYS], [hash.base64Decode, ALWAYS], [hash.base64DecodeExt, ALWAYS], [hash.base64Encode, ALWAYS],
]);

/**
 * The classes without which `fn` returns its input unchanged; `ALWAYS` (every mask has it)
 * for transformations that declare nothing.
 *
 * @example
 * const chain = rule.transforms.reduce((m, t) => m | triggerMask(t.fn), 0);
 * if ((charMask(value) & chain) === 0) { // the whole chain leaves value as it is
 * }
 */
export function triggerMask(fn: Transformation): number {
  return TRIGGERS.get(fn) ?? ALWAYS;
}
