/**
 * XSS verdict: tokenize the input as HTML in five starting contexts (text, and inside an
 * unquoted / '...' / "..." / `...` attribute value) and flag dangerous tags, event-handler and
 * URL-taking attributes with script-capable URLs, style attributes, and IE/XML comment tricks.
 */
import { type H5Start, Html5Tokenizer } from './html5.js';

type AttrKind = 'none' | 'black' | 'url' | 'style' | 'indirect';

/**
 * Names (upper-case ASCII) looked up straight from a range of the input, NULs skipped and
 * ASCII upper-cased on the fly (as normName would make them), without building the name.
 */
class NameTable<V> {
  readonly #byLength: Array<Array<[string, V]>> = [];

  constructor(entries: Iterable<readonly [string, V]>) {
    for (const [name, v] of entries) (this.#byLength[name.length] ??= []).push([name, v]);
  }

  get(s: string, start: number, len: number): V | undefined {
    let n = 0;
    for (let i = 0; i < len; i++) if (s.charCodeAt(start + i) !== 0) n++;
    const candidates = this.#byLength[n];
    if (candidates === undefined) return undefined;
    for (const [name, v] of candidates) if (sameName(name, s, start, len)) return v;
    return undefined;
  }
}

/** Whether s[start, start + len), NULs removed and ASCII upper-cased, is `name`. */
function sameName(name: string, s: string, start: number, len: number): boolean {
  let j = 0;
  for (let i = 0; i < len; i++) {
    let k = s.charCodeAt(start + i);
    if (k === 0) continue;
    if (k >= 0x61 && k <= 0x7a) k -= 0x20;
    if (name.charCodeAt(j++) !== k) return false;
  }
  return j === name.length;
}

const BLACK_TAGS = new NameTable<true>([
  'APPLET', 'BASE', 'COMMENT', 'EMBED', 'FRAME', 'FRAMESET', 'HANDLER', 'IFRAME', 'IMPORT', 'ISINDEX',
  'LINK', 'LISTENER', 'META', 'NOSCRIPT', 'OBJECT', 'SCRIPT', 'STYLE', 'VMLFRAME', 'XML', 'XSS',
].map((t) => [t, true] as const));

const BLACK_ATTRS = new NameTable<AttrKind>([
  ['ACTION', 'url'], ['ATTRIBUTENAME', 'indirect'], ['BY', 'url'], ['BACKGROUND', 'url'],
  ['DATAFORMATAS', 'black'], ['DATASRC', 'black'], ['DYNSRC', 'url'], ['FILTER', 'style'],
  ['FORMACTION', 'url'], ['FOLDER', 'url'], ['FROM', 'url'], ['HANDLER', 'url'], ['HREF', 'url'],
  ['LOWSRC', 'url'], ['POSTER', 'url'], ['SRC', 'url'], ['STYLE', 'style'], ['TO', 'url'],
  ['VALUES', 'url'], ['XLINK:HREF', 'url'],
]);

/** Browsers ignore NUL bytes inside names, so compare with them removed (ASCII upper-cased). */
function normName(s: string): string {
  let i = 0;
  for (; i < s.length; i++) {
    const k = s.charCodeAt(i);
    if (k === 0 || (k >= 0x61 && k <= 0x7a)) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const k = s.charCodeAt(i);
    if (k === 0) continue;
    out += k >= 0x61 && k <= 0x7a ? String.fromCharCode(k - 0x20) : s[i];
  }
  return out;
}

function isBlackTag(s: string, start: number, len: number): boolean {
  if (len < 3) return false;
  if (BLACK_TAGS.get(s, start, len) === true) return true;
  // svg... and xsl... tags (the first three bytes as they are, NULs included).
  const a = s.charCodeAt(start) | 0x20;
  const b = s.charCodeAt(start + 1) | 0x20;
  const c = s.charCodeAt(start + 2) | 0x20;
  return (a === 0x73 && b === 0x76 && c === 0x67) || (a === 0x78 && b === 0x73 && c === 0x6c);
}

function blackAttr(s: string, start: number, len: number): AttrKind {
  if (len < 2) return 'none';
  if (len >= 5) {
    if ((s.charCodeAt(start) | 0x20) === 0x6f && (s.charCodeAt(start + 1) | 0x20) === 0x6e) return 'black'; // on...
    // The first five bytes, NULs removed: XMLNS / XLINK only when none of them is a NUL.
    if (sameName('XMLNS', s, start, 5) || sameName('XLINK', s, start, 5)) return 'black';
  }
  return BLACK_ATTRS.get(s, start, len) ?? 'none';
}

/** Hex digit value of a char code, -1 when it is none (NaN past the end too). */
function hexVal(k: number): number {
  if (k >= 0x30 && k <= 0x39) return k - 0x30;
  const l = k | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}
const decVal = (k: number): number => (k >= 0x30 && k <= 0x39 ? k - 0x30 : -1);

/** How many chars the last decodeCharAt consumed (a second return value without a tuple per char). */
let consumed = 1;

/** Decodes one (possibly numeric-entity-encoded) character at s[i] of s[.., end); sets `consumed`. */
function decodeCharAt(s: string, i: number, end: number): number {
  const len = end - i;
  const at = (j: number): number => (j < len ? s.charCodeAt(i + j) : Number.NaN);
  consumed = 1;
  if (s.charCodeAt(i) !== 0x26 || len < 2) return s.charCodeAt(i);
  if (at(1) !== 0x23) return 0x26;
  const x = at(2);
  const hex = x === 0x78 || x === 0x58;
  const digit = hex ? hexVal : decVal;
  const base = hex ? 16 : 10;
  let j = hex ? 3 : 2;
  let val = digit(at(j));
  if (val < 0) return 0x26;
  for (j++; j < len; j++) {
    const c = at(j);
    if (c === 0x3b) {
      consumed = j + 1;
      return val;
    }
    const d = digit(c);
    if (d < 0) {
      consumed = j;
      return val;
    }
    val = val * base + d;
    if (val > 0x1000ff) return 0x26;
  }
  consumed = j;
  return val;
}

/** Does the HTML-encoded value s[from, end) start with `prefix` (upper case), ignoring NUL, LF and leading controls? */
function encodedStartsWith(prefix: string, s: string, from: number, end: number): boolean {
  let k = 0;
  let first = true;
  let i = from;
  while (i < end) {
    if (k === prefix.length) return true;
    const code = decodeCharAt(s, i, end);
    i += consumed;
    if (first && code <= 32) continue;
    first = false;
    if (code === 0 || code === 10) continue;
    let c = code >= 0x61 && code <= 0x7a ? code - 0x20 : code;
    c &= 0xff; // the reference compares as a char, truncating large entity values
    if (prefix.charCodeAt(k) !== c) return false;
    k++;
  }
  return k === prefix.length;
}

/** "JAVA" covers javascript: and friends. */
const BLACK_URL_PREFIXES = ['DATA', 'VIEW-SOURCE', 'JAVA', 'VBSCRIPT'];

function isBlackUrl(s: string, start: number, len: number): boolean {
  const end = start + len;
  let i = start;
  while (i < end && (s.charCodeAt(i) <= 32 || s.charCodeAt(i) >= 127)) i++;
  for (const p of BLACK_URL_PREFIXES) if (encodedStartsWith(p, s, i, end)) return true;
  return false;
}

function isBlackComment(c: string): boolean {
  if (c.includes('`')) return true; // IE ends tags at a backtick
  if (c.length > 3 && (/^\[if/i.test(c) || /^xml/i.test(c))) return true;
  if (c.length > 5) {
    const head = normName(c.slice(0, 6));
    if (head === 'IMPORT' || head === 'ENTITY') return true;
  }
  return false;
}

/**
 * XSS check in one starting context.
 * @example
 * isXssIn('<script>alert(1)</script>', 'data') // true
 */
export function isXssIn(input: string, start: H5Start): boolean {
  // One tokenizer serves every call: the check is synchronous and not re-entrant.
  const h = tokenizer.reset(input, start);
  let attr: AttrKind = 'none';
  while (h.next()) {
    const type = h.tokenType;
    if (type !== 'ATTR_VALUE') attr = 'none';
    switch (type) {
      case 'DOCTYPE':
        return true;
      case 'TAG_NAME_OPEN':
        if (isBlackTag(h.s, h.tokenStart, h.tokenLen)) return true;
        break;
      case 'ATTR_NAME':
        attr = blackAttr(h.s, h.tokenStart, h.tokenLen);
        break;
      case 'ATTR_VALUE':
        if (attr === 'black' || attr === 'style') return true;
        if (attr === 'url' && isBlackUrl(h.s, h.tokenStart, h.tokenLen)) return true;
        if (attr === 'indirect' && blackAttr(h.s, h.tokenStart, h.tokenLen) !== 'none') return true;
        attr = 'none';
        break;
      case 'TAG_COMMENT':
        if (isBlackComment(h.token)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

const tokenizer = new Html5Tokenizer('', 'data');

const CONTEXTS: H5Start[] = ['data', 'value-no-quote', 'value-single-quote', 'value-double-quote', 'value-back-quote'];

/**
 * libinjection-style XSS detection over a byte string.
 * @example
 * isXss('<img src=x onerror=alert(1)>') // true
 * isXss('hello <b>world</b>') // false
 */
export function isXss(input: string): boolean {
  // Every verdict needs a tag, comment or doctype (only after '<') or an attribute value after a
  // name (only after '='): the start contexts' own first value has no name. Without either
  // character no context can flag the input, and text like that is most of what the rules see.
  const lt = input.indexOf('<') >= 0;
  if (!lt && input.indexOf('=') < 0) return false;
  for (const c of CONTEXTS) {
    // The data context emits only text until the first '<'.
    if (c === 'data' && !lt) continue;
    if (isXssIn(input, c)) return true;
  }
  return false;
}
