/**
 * SQL tokenizer of the libinjection algorithm. Input is a byte string (one char per byte,
 * codes 0..255). Each byte selects a parser through a character-class table; a parser reads
 * one token starting at `pos` and returns the position after it.
 */
import {
  parseBstring, parseEstring, parseMoney, parseNqstring, parseNumber, parseQstring, parseUstring, parseXstring,
} from './sqli-literals.js';
import { type Parser, indexOfPair, parseString, parseStringCore } from './sqli-scan.js';
import {
  FLAG_QUOTE_DOUBLE, FLAG_QUOTE_SINGLE, FLAG_SQL_ANSI, FLAG_SQL_MYSQL, type SqliState, T, assignToken, clearToken,
  isWhiteCode,
} from './sqli-state.js';
import { parseBword, parseTick, parseVar, parseWord } from './sqli-words.js';

function one(st: SqliState, type: number): number {
  assignToken(st.current, type, st.s, st.pos, 1);
  return st.pos + 1;
}

const parseWhite: Parser = (st) => st.pos + 1;
const parseOperator1: Parser = (st) => one(st, T.operator);
const parseOther: Parser = (st) => one(st, T.unknown);
const parseChar: Parser = (st) => one(st, st.s.charCodeAt(st.pos));

function parseEolComment(st: SqliState): number {
  const nl = st.s.indexOf('\n', st.pos);
  const end = nl < 0 ? st.s.length : nl;
  assignToken(st.current, T.comment, st.s, st.pos, end - st.pos);
  return nl < 0 ? st.s.length : nl + 1;
}

const parseHash: Parser = (st) => {
  st.statsCommentHash++;
  if (st.flags & FLAG_SQL_MYSQL) {
    st.statsCommentHash++;
    return parseEolComment(st);
  }
  return one(st, T.operator);
};

const parseDash: Parser = (st) => {
  const { s, pos } = st;
  const dd = s.charCodeAt(pos + 1) === 0x2d;
  if (dd && pos + 2 < s.length && isWhiteCode(s.charCodeAt(pos + 2))) return parseEolComment(st);
  if (dd && pos + 2 === s.length) return parseEolComment(st);
  if (dd && st.flags & FLAG_SQL_ANSI) {
    st.statsCommentDdx++;
    return parseEolComment(st);
  }
  return one(st, T.operator);
};

const parseSlash: Parser = (st) => {
  const { s, pos } = st;
  if (s.charCodeAt(pos + 1) !== 0x2a) return parseOperator1(st);
  const close = indexOfPair(s, pos + 2, 0x2a, 0x2f);
  const clen = close < 0 ? s.length - pos : close + 2 - pos;
  // A nested opener inside the comment, or a MySQL "/*!" comment, cannot be parsed reliably.
  let type: number = T.comment;
  if (close >= 0 && indexOfPair(s, pos + 2, 0x2f, 0x2a, close + 1) >= 0) type = T.evil;
  else if (pos + 2 < s.length && s.charCodeAt(pos + 2) === 0x21) type = T.evil;
  assignToken(st.current, type, s, pos, clen);
  return pos + clen;
};

const parseBackslash: Parser = (st) => {
  const { s, pos } = st;
  if (s.charCodeAt(pos + 1) === 0x4e) {
    assignToken(st.current, T.number, s, pos, 2);
    return pos + 2;
  }
  return one(st, T.backslash);
};

const parseOperator2: Parser = (st) => {
  const { s, pos } = st;
  if (pos + 1 >= s.length) return parseOperator1(st);
  if (s.charCodeAt(pos) === 0x3c && s.charCodeAt(pos + 1) === 0x3d && s.charCodeAt(pos + 2) === 0x3e) {
    assignToken(st.current, T.operator, s, pos, 3);
    return pos + 3;
  }
  const type = st.lookupWord(s, pos, 2);
  if (type !== 0) {
    assignToken(st.current, type, s, pos, 2);
    return pos + 2;
  }
  if (s.charCodeAt(pos) === 0x3a) return one(st, T.colon);
  return parseOperator1(st);
};

/** Parser for each byte value. */
const PARSERS: Parser[] = buildParserTable();

function buildParserTable(): Parser[] {
  const table: Parser[] = new Array<Parser>(256).fill(parseWord);
  for (let i = 0; i <= 32; i++) table[i] = parseWhite;
  table[127] = parseWhite;
  table[160] = parseWhite;
  const set = (chars: string, p: Parser): void => {
    for (const c of chars) table[c.charCodeAt(0)] = p;
  };
  set('!&*:<=>|', parseOperator2);
  set('"\'', parseString);
  set('#', parseHash);
  set('$', parseMoney);
  set('%^', parseOperator1);
  set('+~', parseOperator1);
  set('(),;{}', parseChar);
  set('-', parseDash);
  set('.0123456789', parseNumber);
  set('/', parseSlash);
  set('?]', parseOther);
  set('@', parseVar);
  set('Bb', parseBstring);
  set('Ee', parseEstring);
  set('Nn', parseNqstring);
  set('Qq', parseQstring);
  set('Uu', parseUstring);
  set('Xx', parseXstring);
  set('[', parseBword);
  set('\\', parseBackslash);
  set('`', parseTick);
  return table;
}

/**
 * Reads the next token into `st.current`; false at end of input.
 * @example
 * const st = new SqliState("1 OR 1", 0, data); while (tokenize(st)) console.log(st.current.type);
 */
export function tokenize(st: SqliState): boolean {
  const { s } = st;
  if (s.length === 0) return false;
  const tok = st.current;
  clearToken(tok);
  if (st.pos === 0 && st.flags & (FLAG_QUOTE_SINGLE | FLAG_QUOTE_DOUBLE)) {
    const delim = st.flags & FLAG_QUOTE_SINGLE ? "'" : '"';
    st.pos = parseStringCore(s, 0, tok, delim, 0);
    st.statsTokens++;
    return true;
  }
  while (st.pos < s.length) {
    const code = s.charCodeAt(st.pos) & 0xff;
    st.pos = PARSERS[code]!(st);
    if (tok.type !== 0) {
      st.statsTokens++;
      return true;
    }
  }
  return false;
}
