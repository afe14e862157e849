/**
 * Parsers for literals: prefixed strings (E'', U&'', q'[]', N''), bit/hex strings, $-quoted
 * strings and money, and numbers (hex, binary, decimal, exponent, Oracle d/f suffix).
 */
import { type Parser, indexOfPair, isDigit, parseString, parseStringCore, span } from './sqli-scan.js';
import { type SqliState, T, assignToken, isWhite } from './sqli-state.js';
import { parseWord } from './sqli-words.js';

export const parseEstring: Parser = (st) => {
  const { s, pos } = st;
  if (pos + 2 >= s.length || s[pos + 1] !== "'") return parseWord(st);
  return parseStringCore(s, pos, st.current, "'", 2);
};

export const parseUstring: Parser = (st) => {
  const { s, pos } = st;
  if (pos + 2 < s.length && s[pos + 1] === '&' && s[pos + 2] === "'") {
    st.pos += 2;
    const next = parseString(st);
    st.current.strOpen = 'u';
    if (st.current.strClose === "'") st.current.strClose = 'u';
    return next;
  }
  return parseWord(st);
};

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

function parseQstringCore(st: SqliState, offset: number): number {
  const { s } = st;
  const pos = st.pos + offset;
  if (pos >= s.length || (s[pos] !== 'q' && s[pos] !== 'Q') || pos + 2 >= s.length || s[pos + 1] !== "'") {
    return parseWord(st);
  }
  const open = s.charCodeAt(pos + 2);
  // The reference compares a signed char, so bytes >= 0x80 count as "below 33" too.
  if (open < 33 || open >= 0x80) return parseWord(st);
  const ch = s[pos + 2]!;
  const close = CLOSERS[ch] ?? ch;
  const end = indexOfPair(s, pos + 3, close, "'");
  const tok = st.current;
  if (end < 0) {
    assignToken(tok, T.string, pos + 3, s.length - pos - 3, s.slice(pos + 3));
    tok.strOpen = 'q';
    tok.strClose = '';
    return s.length;
  }
  assignToken(tok, T.string, pos + 3, end - pos - 3, s.slice(pos + 3, end));
  tok.strOpen = 'q';
  tok.strClose = 'q';
  return end + 2;
}

export const parseQstring: Parser = (st) => parseQstringCore(st, 0);
export const parseNqstring: Parser = (st) => {
  if (st.pos + 2 < st.s.length && st.s[st.pos + 1] === "'") return parseEstring(st);
  return parseQstringCore(st, 1);
};

function literalString(st: SqliState, digits: string): number {
  const { s, pos } = st;
  if (pos + 2 >= s.length || s[pos + 1] !== "'") return parseWord(st);
  const w = span(s, pos + 2, digits, true);
  if (pos + 2 + w >= s.length || s[pos + 2 + w] !== "'") return parseWord(st);
  assignToken(st.current, T.number, pos, w + 3, s.slice(pos, pos + w + 3));
  return pos + w + 3;
}

const HEX = '0123456789ABCDEFabcdef';
export const parseBstring: Parser = (st) => literalString(st, '01');
export const parseXstring: Parser = (st) => literalString(st, HEX);

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const parseMoney: Parser = (st) => {
  const { s, pos } = st;
  const tok = st.current;
  if (pos + 1 === s.length) {
    assignToken(tok, T.bareword, pos, 1, '$');
    return s.length;
  }
  const x = span(s, pos + 1, '0123456789.,', true);
  if (x === 1 && s[pos + 1] === '.') return parseWord(st);
  if (x > 0) {
    assignToken(tok, T.number, pos, 1 + x, s.slice(pos, pos + 1 + x));
    return pos + 1 + x;
  }
  if (s[pos + 1] === '$') {
    // PostgreSQL $$dollar quoted$$ string
    const end = indexOfPair(s, pos + 2, '$', '$');
    const stop = end < 0 ? s.length : end;
    assignToken(tok, T.string, pos + 2, stop - pos - 2, s.slice(pos + 2, stop));
    tok.strOpen = '$';
    tok.strClose = end < 0 ? '' : '$';
    return end < 0 ? s.length : end + 2;
  }
  const tagLen = span(s, pos + 1, LETTERS, true);
  if (tagLen === 0 || pos + tagLen + 1 === s.length || s[pos + tagLen + 1] !== '$') {
    assignToken(tok, T.bareword, pos, 1, '$');
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
    assignToken(tok, T.string, bodyStart, s.length - bodyStart, s.slice(bodyStart));
    tok.strOpen = '$';
    tok.strClose = '';
    return s.length;
  }
  assignToken(tok, T.string, bodyStart, end - bodyStart, s.slice(bodyStart, end));
  tok.strOpen = '$';
  tok.strClose = '$';
  return end + tag.length;
};

export const parseNumber: Parser = (st) => {
  const { s } = st;
  let pos = st.pos;
  const tok = st.current;
  if (s[pos] === '0' && pos + 1 < s.length) {
    const p = s[pos + 1];
    const digits = p === 'x' || p === 'X' ? HEX : p === 'b' || p === 'B' ? '01' : '';
    if (digits) {
      const x = span(s, pos + 2, digits, true);
      const type = x === 0 ? T.bareword : T.number;
      assignToken(tok, type, pos, 2 + x, s.slice(pos, pos + 2 + x));
      return pos + 2 + x;
    }
  }
  const start = pos;
  while (isDigit(s[pos])) pos++;
  if (s[pos] === '.') {
    pos++;
    while (isDigit(s[pos])) pos++;
    if (pos - start === 1) {
      assignToken(tok, T.dot, start, 1, '.');
      return pos;
    }
  }
  let haveE = false;
  let haveExp = false;
  if (s[pos] === 'e' || s[pos] === 'E') {
    haveE = true;
    pos++;
    if (s[pos] === '+' || s[pos] === '-') pos++;
    while (isDigit(s[pos])) {
      haveExp = true;
      pos++;
    }
  }
  const c = s[pos];
  if (c === 'd' || c === 'D' || c === 'f' || c === 'F') {
    // Oracle float/double suffix; "1fUNION" still splits as "1f UNION".
    const n = s[pos + 1];
    if (pos + 1 === s.length || isWhite(n) || n === ';' || n === 'u' || n === 'U') pos++;
  }
  const type = haveE && !haveExp ? T.bareword : T.number;
  assignToken(tok, type, start, pos - start, s.slice(start, pos));
  return pos;
};

