/**
 * A small HTML5 tokenizer in the style of libinjection: it only needs to find tag names,
 * attribute names and attribute values (and comments / doctype) the way a browser would,
 * including browser quirks like NUL bytes inside tag names.
 */

export type H5TokenType =
  | 'DATA_TEXT' | 'TAG_NAME_OPEN' | 'TAG_NAME_CLOSE' | 'TAG_NAME_SELFCLOSE' | 'TAG_DATA'
  | 'TAG_CLOSE' | 'ATTR_NAME' | 'ATTR_VALUE' | 'TAG_COMMENT' | 'DOCTYPE';

/** Where tokenizing starts: HTML text, or inside an attribute value of some quoting. */
export type H5Start = 'data' | 'value-no-quote' | 'value-single-quote' | 'value-double-quote' | 'value-back-quote';

type State = (h: Html5Tokenizer) => boolean;

// Char codes throughout (NaN past the end compares false everywhere): no one-char strings per byte.
// NUL counts as white here: the reference tests membership with strchr, which matches the terminator.
const isWhite = (k: number): boolean => k === 0x20 || (k >= 0x09 && k <= 0x0d) || k === 0;
const isAlpha = (k: number): boolean => {
  const l = k | 0x20;
  return l >= 0x61 && l <= 0x7a;
};
const BANG = 0x21;
const DQUOTE = 0x22;
const PERCENT = 0x25;
const SQUOTE = 0x27;
const DASH = 0x2d;
const SLASH = 0x2f;
const EQ = 0x3d;
const GT = 0x3e;
const QMARK = 0x3f;
const RBRACKET = 0x5d;
const BACKTICK = 0x60;

/**
 * Pull tokenizer over a byte string.
 * @example
 * const h = new Html5Tokenizer('<a href=x>', 'data');
 * while (h.next()) console.log(h.tokenType, h.token); // TAG_NAME_OPEN a, ATTR_NAME href, ...
 */
export class Html5Tokenizer {
  s: string;
  pos = 0;
  isClose = false;
  state: State;
  tokenType: H5TokenType = 'DATA_TEXT';
  tokenStart = 0;
  tokenLen = 0;

  constructor(s: string, start: H5Start) {
    this.s = s;
    this.state = START_STATES[start];
  }

  /** Starts over on `s` in context `start` (one tokenizer serves every call). */
  reset(s: string, start: H5Start): this {
    this.s = s;
    this.pos = 0;
    this.isClose = false;
    this.state = START_STATES[start];
    this.tokenType = 'DATA_TEXT';
    this.tokenStart = 0;
    this.tokenLen = 0;
    return this;
  }

  get token(): string {
    return this.s.slice(this.tokenStart, this.tokenStart + this.tokenLen);
  }

  next(): boolean {
    return this.state(this);
  }

  emit(type: H5TokenType, start: number, len: number): true {
    this.tokenType = type;
    this.tokenStart = start;
    this.tokenLen = len;
    return true;
  }
}

const stEof: State = () => false;


/** The first non-white char code from pos on, or -1 at the end. */
function skipWhite(h: Html5Tokenizer): number {
  while (h.pos < h.s.length) {
    const c = h.s.charCodeAt(h.pos);
    if (!isWhite(c)) return c;
    h.pos++;
  }
  return -1;
}

const stData: State = (h) => {
  const lt = h.s.indexOf('<', h.pos);
  const start = h.pos;
  if (lt < 0) {
    h.state = stEof;
    if (h.s.length === start) return false;
    return h.emit('DATA_TEXT', start, h.s.length - start);
  }
  h.pos = lt + 1;
  h.state = stTagOpen;
  if (lt === start) return stTagOpen(h);
  return h.emit('DATA_TEXT', start, lt - start);
};

const stTagOpen: State = (h) => {
  if (h.pos >= h.s.length) return false;
  const c = h.s.charCodeAt(h.pos);
  if (c === BANG) {
    h.pos++;
    return stMarkupDeclarationOpen(h);
  }
  if (c === SLASH) {
    h.pos++;
    h.isClose = true;
    return stEndTagOpen(h);
  }
  if (c === QMARK) {
    h.pos++;
    return stBogusComment(h);
  }
  if (c === PERCENT) {
    // "<% ... %>" comments, honoured by old IE and Safari
    h.pos++;
    return stBogusComment2(h);
  }
  if (isAlpha(c) || c === 0) return stTagName(h);
  if (h.pos === 0) return stData(h);
  h.state = stData;
  return h.emit('DATA_TEXT', h.pos - 1, 1);
};

const stEndTagOpen: State = (h) => {
  if (h.pos >= h.s.length) return false;
  const c = h.s.charCodeAt(h.pos);
  if (c === GT) return stData(h);
  if (isAlpha(c)) return stTagName(h);
  h.isClose = false;
  return stBogusComment(h);
};

const stTagNameClose: State = (h) => {
  h.isClose = false;
  h.emit('TAG_NAME_CLOSE', h.pos, 1);
  h.pos++;
  h.state = h.pos < h.s.length ? stData : stEof;
  return true;
};

const stTagName: State = (h) => {
  const start = h.pos;
  for (let p = start; p < h.s.length; p++) {
    const c = h.s.charCodeAt(p);
    if (c === 0) continue;
    if (isWhite(c) || c === SLASH) {
      h.pos = p + 1;
      h.state = c === SLASH ? stSelfClosingStartTag : stBeforeAttrName;
      return h.emit('TAG_NAME_OPEN', start, p - start);
    }
    if (c === GT) {
      if (h.isClose) {
        h.pos = p + 1;
        h.isClose = false;
        h.state = stData;
        return h.emit('TAG_CLOSE', start, p - start);
      }
      h.pos = p;
      h.state = stTagNameClose;
      return h.emit('TAG_NAME_OPEN', start, p - start);
    }
  }
  h.state = stEof;
  return h.emit('TAG_NAME_OPEN', start, h.s.length - start);
};

const stBeforeAttrName: State = (h) => {
  const c = skipWhite(h);
  if (c === -1) return false;
  if (c === SLASH) {
    h.pos++;
    return stSelfClosingStartTag(h);
  }
  if (c === GT) {
    h.state = stData;
    h.emit('TAG_NAME_CLOSE', h.pos, 1);
    h.pos++;
    return true;
  }
  return stAttrName(h);
};

const stAttrName: State = (h) => {
  const start = h.pos;
  for (let p = start + 1; p < h.s.length; p++) {
    const c = h.s.charCodeAt(p);
    let next: State | undefined;
    if (isWhite(c)) next = stAfterAttrName;
    else if (c === SLASH) next = stSelfClosingStartTag;
    else if (c === EQ) next = stBeforeAttrValue;
    else if (c === GT) next = stTagNameClose;
    if (next) {
      h.state = next;
      h.pos = c === GT ? p : p + 1;
      return h.emit('ATTR_NAME', start, p - start);
    }
  }
  h.state = stEof;
  h.pos = h.s.length;
  return h.emit('ATTR_NAME', start, h.s.length - start);
};

const stAfterAttrName: State = (h) => {
  const c = skipWhite(h);
  if (c === -1) return false;
  if (c === SLASH) {
    h.pos++;
    return stSelfClosingStartTag(h);
  }
  if (c === EQ) {
    h.pos++;
    return stBeforeAttrValue(h);
  }
  if (c === GT) return stTagNameClose(h);
  return stAttrName(h);
};

const stBeforeAttrValue: State = (h) => {
  const c = skipWhite(h);
  if (c === -1) {
    h.state = stEof;
    return false;
  }
  if (c === DQUOTE) return stValueDouble(h);
  if (c === SQUOTE) return stValueSingle(h);
  if (c === BACKTICK) return stValueBack(h);
  return stValueNoQuote(h);
};

function valueQuoted(h: Html5Tokenizer, q: string): boolean {
  // At position 0 the quote is implied by the caller's context, so there is nothing to skip.
  if (h.pos > 0) h.pos++;
  const start = h.pos;
  // The builtin search (memchr-like) is what the five contexts need most: a quote that never comes.
  const end = h.s.indexOf(q, start);
  if (end < 0) {
    h.state = stEof;
    return h.emit('ATTR_VALUE', start, h.s.length - start);
  }
  h.state = stAfterAttrValueQuoted;
  h.pos = end + 1;
  return h.emit('ATTR_VALUE', start, end - start);
}

const stValueDouble: State = (h) => valueQuoted(h, '"');
const stValueSingle: State = (h) => valueQuoted(h, "'");
const stValueBack: State = (h) => valueQuoted(h, '`');

const stValueNoQuote: State = (h) => {
  const start = h.pos;
  for (let p = start; p < h.s.length; p++) {
    const c = h.s.charCodeAt(p);
    if (isWhite(c)) {
      h.pos = p + 1;
      h.state = stBeforeAttrName;
      return h.emit('ATTR_VALUE', start, p - start);
    }
    if (c === GT) {
      h.pos = p;
      h.state = stTagNameClose;
      return h.emit('ATTR_VALUE', start, p - start);
    }
  }
  h.state = stEof;
  return h.emit('ATTR_VALUE', start, h.s.length - start);
};

const stAfterAttrValueQuoted: State = (h) => {
  if (h.pos >= h.s.length) return false;
  const c = h.s.charCodeAt(h.pos);
  if (isWhite(c)) {
    h.pos++;
    return stBeforeAttrName(h);
  }
  if (c === SLASH) {
    h.pos++;
    return stSelfClosingStartTag(h);
  }
  if (c === GT) {
    h.emit('TAG_NAME_CLOSE', h.pos, 1);
    h.pos++;
    h.state = stData;
    return true;
  }
  return stBeforeAttrName(h);
};

const stSelfClosingStartTag: State = (h) => {
  if (h.pos >= h.s.length) return false;
  if (h.s.charCodeAt(h.pos) !== GT) return stBeforeAttrName(h);
  h.emit('TAG_NAME_SELFCLOSE', h.pos - 1, 2);
  h.state = stData;
  h.pos++;
  return true;
};

/** Reads up to the first occurrence of `close`; the whole rest of the input if none. */
function untilMarker(h: Html5Tokenizer, close: number, markerLen: number, type: H5TokenType): boolean {
  const start = h.pos;
  if (close < 0) {
    h.pos = h.s.length;
    h.state = stEof;
    return h.emit(type, start, h.s.length - start);
  }
  h.pos = close + markerLen;
  h.state = stData;
  return h.emit(type, start, close - start);
}

const stBogusComment: State = (h) => untilMarker(h, h.s.indexOf('>', h.pos), 1, 'TAG_COMMENT');

const stBogusComment2: State = (h) => {
  let from = h.pos;
  for (;;) {
    const idx = h.s.indexOf('%', from);
    if (idx < 0 || idx + 1 >= h.s.length) return untilMarker(h, -1, 2, 'TAG_COMMENT');
    if (h.s.charCodeAt(idx + 1) === GT) return untilMarker(h, idx, 2, 'TAG_COMMENT');
    from = idx + 1;
  }
};

const stMarkupDeclarationOpen: State = (h) => {
  const rest = h.s.slice(h.pos, h.pos + 7);
  if (rest.length === 7 && rest.toLowerCase() === 'doctype') return stDoctype(h);
  if (rest === '[CDATA[') {
    h.pos += 7;
    return stCdata(h);
  }
  if (rest.startsWith('--')) {
    h.pos += 2;
    return stComment(h);
  }
  return stBogusComment(h);
};

const stComment: State = (h) => {
  const { s } = h;
  const n = s.length;
  let from = h.pos;
  // Ends at "--" or "-!" (NULs allowed between the dashes, as IE does) followed by ">".
  for (;;) {
    const idx = s.indexOf('-', from);
    if (idx < 0 || idx > n - 3) return untilMarker(h, -1, 0, 'TAG_COMMENT');
    let off = 1;
    while (idx + off < n && s.charCodeAt(idx + off) === 0) off++;
    if (idx + off === n) return untilMarker(h, -1, 0, 'TAG_COMMENT');
    const c = s.charCodeAt(idx + off);
    if (c !== DASH && c !== BANG) {
      from = idx + 1;
      continue;
    }
    off++;
    if (idx + off === n) return untilMarker(h, -1, 0, 'TAG_COMMENT');
    if (s.charCodeAt(idx + off) !== GT) {
      from = idx + 1;
      continue;
    }
    return untilMarker(h, idx, off + 1, 'TAG_COMMENT');
  }
};

const stCdata: State = (h) => {
  let from = h.pos;
  for (;;) {
    const idx = h.s.indexOf(']', from);
    if (idx < 0 || idx > h.s.length - 3) return untilMarker(h, -1, 3, 'DATA_TEXT');
    if (h.s.charCodeAt(idx + 1) === RBRACKET && h.s.charCodeAt(idx + 2) === GT) return untilMarker(h, idx, 3, 'DATA_TEXT');
    from = idx + 1;
  }
};

const START_STATES: Readonly<Record<H5Start, State>> = {
  data: stData,
  'value-no-quote': stBeforeAttrName,
  'value-single-quote': stValueSingle,
  'value-double-quote': stValueDouble,
  'value-back-quote': stValueBack,
};

const stDoctype: State = (h) => untilMarker(h, h.s.indexOf('>', h.pos), 1, 'DOCTYPE');
