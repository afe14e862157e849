/**
 * Parsers for literals: prefixed strings (E'', U&'', q'[]', N''), bit/hex strings, $-quoted
 * strings and money, and numbers (hex, binary, decimal, exponent, Oracle d/f suffix).
 */
import { type Parser, byteSet, indexOfPair, isDigitCode, parseString, parseStringCore, span } from './sqli-scan.js';
import { type SqliState, T, assignToken, isWhiteCode } from './sqli-state.js';
import { parseWord } from './sqli-words.js';

const QUOTE = 0x27;

export const parseEstring: Parser = (st) => {
  const { s, pos } = st;
  if (pos + 2 >= s.length || s.charCodeAt(pos + 1) !== QUOTE) return parseWord(st);
  return parseStringCore(s, pos, st.current, "'", 2);
};

export const parseUstring: Parser = (st) => {
  const { s, pos } = st;
  if (pos + 2 < s.length && s.charCodeAt(pos + 1) === 0x26 && s.charCodeAt(pos + 2) === QUOTE) {
    st.pos += 2;
    const next = parseString(st);
    st.current.strOpen = 'u';
    if (st.current.strClose === "'") st.current.strClose = 'u';
    return next;
  }
  return parseWord(st);
};

/** q'(...)' closes with the matching bracket; any other opener closes with itself. */
const closerOf = (k: number): number => (k === 0x28 ? 0x29 : k === 0x5b ? 0x5d : k === 0x7b ? 0x7d : k === 0x3c ? 0x3e : k);

function parseQstringCore(st: SqliState, offset: number): number {
  const { s } = st;
  const pos = st.pos + offset;
  const q = s.charCodeAt(pos);
  if (pos >= s.length || (q !== 0x71 && q !== 0x51) || pos + 2 >= s.length || s.charCodeAt(pos + 1) !== QUOTE) {
    return parseWord(st);
  }
  const open = s.charCodeAt(pos + 2);
  // The reference compares a signed char, so bytes >= 0x80 count as "below 33" too.
  if (open < 33 || open >= 0x80) return parseWord(st);
  const end = indexOfPair(s, pos + 3, closerOf(open), QUOTE);
  const tok = st.current;
  if (end < 0) {
    assignToken(tok, T.string, s, pos + 3, s.length - pos - 3);
    tok.strOpen = 'q';
    tok.strClose = '';
    return s.length;
  }
  assignToken(tok, T.string, s, pos + 3, end - pos - 3);
  tok.strOpen = 'q';
  tok.strClose = 'q';
  return end + 2;
}

export const parseQstring: Parser = (st) => parseQstringCore(st, 0);
export const parseNqstring: Parser = (st) => {
  if (st.pos + 2 < st.s.length && st.s.charCodeAt(st.pos + 1) === QUOTE) return parseEstring(st);
  return parseQstringCore(st, 1);
};

function literalString(st: SqliState, digits: Uint8Array): number {
  const { s, pos } = st;
  if (pos + 2 >= s.length || s.charCodeAt(pos + 1) !== QUOTE) return parseWord(st);
  const w = span(s, pos + 2, digits, true);
  if (pos + 2 + w >= s.length || s.charCodeAt(pos + 2 + w) !== QUOTE) return parseWord(st);
  assignToken(st.current, T.number, s, pos, w + 3);
  return pos + w + 3;
}

const HEX = byteSet('0123456789ABCDEFabcdef');
const BITS = byteSet('01');
const MONEY = byteSet('0123456789.,');
const LETTERS = byteSet('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
export const parseBstring: Parser = (st) => literalString(st, BITS);
export const parseXstring: Parser = (st) => literalString(st, HEX);

export const parseMoney: Parser = (st) => {
  const { s, pos } = st;
  const tok = st.current;
  if (pos + 1 === s.length) {
    assignToken(tok, T.bareword, s, pos, 1);
    return s.length;
  }
  const x = span(s, pos + 1, MONEY, true);
  if (x === 1 && s.charCodeAt(pos + 1) === 0x2e) return parseWord(st);
  if (x > 0) {
    assignToken(tok, T.number, s, pos, 1 + x);
    return pos + 1 + x;
  }
  if (s.charCodeAt(pos + 1) === 0x24) {
    // PostgreSQL $$dollar quoted$$ string
    const end = indexOfPair(s, pos + 2, 0x24, 0x24);
    const stop = end < 0 ? s.length : end;
    assignToken(tok, T.string, s, pos + 2, stop - pos - 2);
    tok.strOpen = '$';
    tok.strClose = end < 0 ? '' : '$';
    return end < 0 ? s.length : end + 2;
  }
  const tagLen = span(s, pos + 1, LETTERS, true);
  if (tagLen === 0 || pos + tagLen + 1 === s.length || s.charCodeAt(pos + tagLen + 1) !== 0x24) {
    assignToken(tok, T.bareword, s, pos, 1);
    return pos + 1;
  }
  // $tag$ ... $tag$
  const tag = s.slice(pos, pos + tagLen + 2);
  const bodyStart = pos + tagLen + 2;
  // The reference searches a window that starts at offset tagLen+2 from the *input* start
  // and stops pos bytes early; mirror that so verdicts match.
  const found = s.indexOf(tag, tagLen + 2);
  const end = found < 0 || found > s.length - pos - tag.length || found < bodyStart ? -1 : found;
  if (end < 0) {
    assignToken(tok, T.string, s, bodyStart, s.length - bodyStart);
    tok.strOpen = '$';
    tok.strClose = '';
    return s.length;
  }
  assignToken(tok, T.string, s, bodyStart, end - bodyStart);
  tok.strOpen = '$';
  tok.strClose = '$';
  return end + tag.length;
};

export const parseNumber: Parser = (st) => {
  const { s } = st;
  let pos = st.pos;
  const tok = st.current;
  if (s.charCodeAt(pos) === 0x30 && pos + 1 < s.length) {
    const p = s.charCodeAt(pos + 1);
    const digits = p === 0x78 || p === 0x58 ? HEX : p === 0x62 || p === 0x42 ? BITS : undefined;
    if (digits !== undefined) {
      const x = span(s, pos + 2, digits, true);
      const type = x === 0 ? T.bareword : T.number;
      assignToken(tok, type, s, pos, 2 + x);
      return pos + 2 + x;
    }
  }
  const start = pos;
  while (isDigitCode(s.charCodeAt(pos))) pos++;
  if (s.charCodeAt(pos) === 0x2e) {
    pos++;
    while (isDigitCode(s.charCodeAt(pos))) pos++;
    if (pos - start === 1) {
      assignToken(tok, T.dot, s, start, 1);
      return pos;
    }
  }
  let haveE = false;
  let haveExp = false;
  let c = s.charCodeAt(pos);
  if (c === 0x65 || c === 0x45) {
    haveE = true;
    pos++;
    c = s.charCodeAt(pos);
    if (c === 0x2b || c === 0x2d) pos++;
    while (isDigitCode(s.charCodeAt(pos))) {
      haveExp = true;
      pos++;
    }
  }
  c = s.charCodeAt(pos);
  if (c === 0x64 || c === 0x44 || c === 0x66 || c === 0x46) {
    // Oracle float/double suffix; "1fUNION" still splits as "1f UNION".
    const n = s.charCodeAt(pos + 1);
    if (pos + 1 === s.length || isWhiteCode(n) || n === 0x3b || n === 0x75 || n === 0x55) pos++;
  }
  const type = haveE && !haveExp ? T.bareword : T.number;
  assignToken(tok, type, s, start, pos - start);
  return pos;
};
