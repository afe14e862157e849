/** Parsers for identifiers: bare words (with keyword lookup), `ticked`, [bracketed] and @variables. */
import { type Parser, parseString, parseStringCore, span } from './sqli-scan.js';
import { type SqliState, T, TOKEN_VAL_MAX, assignToken, clearToken } from './sqli-state.js';

const WORD_STOP = ' []{}<>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r"\u00a0\0';
const VAR_STOP = ' <>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r\'`"';

export const parseBword: Parser = (st) => {
  const { s, pos } = st;
  const end = s.indexOf(']', pos);
  const stop = end < 0 ? s.length : end + 1;
  assignToken(st.current, T.bareword, pos, stop - pos, s.slice(pos, stop));
  return stop;
};

export function parseWord(st: SqliState): number {
  const { s, pos } = st;
  const wlen = span(s, pos, WORD_STOP, false);
  const tok = st.current;
  assignToken(tok, T.bareword, pos, wlen, s.slice(pos, pos + wlen));
  // "SELECT.1" or "SELECT`col`": a keyword before '.' or '`' ends the token there.
  for (let i = 0; i < tok.len; i++) {
    const c = tok.val[i];
    if (c === '.' || c === '`') {
      const type = st.lookupWord(tok.val.slice(0, i));
      if (type && type !== T.bareword) {
        clearToken(tok);
        assignToken(tok, type, pos, i, s.slice(pos, pos + i));
        return pos + i;
      }
    }
  }
  if (wlen <= TOKEN_VAL_MAX) tok.type = st.lookupWord(tok.val) || T.bareword;
  return pos + wlen;
}

export const parseTick: Parser = (st) => {
  const next = parseStringCore(st.s, st.pos, st.current, '`', 1);
  // Backticked names are identifiers, except that a function name stays a function.
  st.current.type = st.lookupWord(st.current.val) === T.function ? T.function : T.bareword;
  return next;
};

export const parseVar: Parser = (st) => {
  const { s } = st;
  let pos = st.pos + 1;
  if (s[pos] === '@') {
    pos++;
    st.current.count = 2;
  } else {
    st.current.count = 1;
  }
  const c = s[pos];
  if (c === '`' || c === "'" || c === '"') {
    st.pos = pos;
    const next = c === '`' ? parseTick(st) : parseString(st);
    st.current.type = T.variable;
    return next;
  }
  const x = span(s, pos, VAR_STOP, false);
  assignToken(st.current, T.variable, pos, x, s.slice(pos, pos + x));
  return pos + x;
};

