/** Parsers for identifiers: bare words (with keyword lookup), `ticked`, [bracketed] and @variables. */
import { type Parser, byteSet, parseString, parseStringCore, span } from './sqli-scan.js';
import { type SqliState, T, TOKEN_VAL_MAX, assignToken, clearToken } from './sqli-state.js';

const WORD_STOP = byteSet(' []{}<>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r"\u00a0\0');
const VAR_STOP = byteSet(' <>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r\'`"');

export const parseBword: Parser = (st) => {
  const { s, pos } = st;
  const end = s.indexOf(']', pos);
  const stop = end < 0 ? s.length : end + 1;
  assignToken(st.current, T.bareword, s, pos, stop - pos);
  return stop;
};

export function parseWord(st: SqliState): number {
  const { s, pos } = st;
  let end = pos;
  let dotOrTick = false;
  for (let k = s.charCodeAt(end); end < s.length && WORD_STOP[k & 0xff] === 0; k = s.charCodeAt(++end)) {
    if (k === 0x2e || k === 0x60) dotOrTick = true;
  }
  const wlen = end - pos;
  const tok = st.current;
  assignToken(tok, T.bareword, s, pos, wlen);
  // "SELECT.1" or "SELECT`col`": a keyword before '.' or '`' ends the token there.
  if (dotOrTick) for (let i = 0; i < tok.len; i++) {
    const c = s.charCodeAt(pos + i);
    if (c === 0x2e || c === 0x60) {
      const type = st.lookupWord(s, pos, i);
      if (type !== 0 && type !== T.bareword) {
        clearToken(tok);
        assignToken(tok, type, s, pos, i);
        return pos + i;
      }
    }
  }
  if (wlen <= TOKEN_VAL_MAX) {
    const type = st.lookupWord(s, pos, wlen);
    tok.type = type !== 0 ? type : T.bareword;
  }
  return pos + wlen;
}

export const parseTick: Parser = (st) => {
  const next = parseStringCore(st.s, st.pos, st.current, '`', 1);
  const t = st.current;
  // Backticked names are identifiers, except that a function name stays a function.
  t.type = st.lookupWord(t.src, t.off, t.len) === T.function ? T.function : T.bareword;
  return next;
};

export const parseVar: Parser = (st) => {
  const { s } = st;
  let pos = st.pos + 1;
  if (s.charCodeAt(pos) === 0x40) {
    pos++;
    st.current.count = 2;
  } else {
    st.current.count = 1;
  }
  const c = s.charCodeAt(pos);
  if (c === 0x60 || c === 0x27 || c === 0x22) {
    st.pos = pos;
    const next = c === 0x60 ? parseTick(st) : parseString(st);
    st.current.type = T.variable;
    return next;
  }
  const x = span(s, pos, VAR_STOP, false);
  assignToken(st.current, T.variable, s, pos, x);
  return pos + x;
};
