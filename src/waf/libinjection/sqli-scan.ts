/** Byte-scanning helpers and the quoted-string reader shared by the SQL token parsers. */
import { type SqliState, type SqliToken, T, assignToken } from './sqli-state.js';

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

const setTables = new Map<string, Uint8Array>();

/** Membership table for a byte set, built once per distinct set. */
function tableFor(set: string): Uint8Array {
  let t = setTables.get(set);
  if (!t) {
    t = new Uint8Array(256);
    for (let i = 0; i < set.length; i++) t[set.charCodeAt(i) & 0xff] = 1;
    setTables.set(set, t);
  }
  return t;
}

/** Length of the run of bytes from `from` (up to `end`) that are (or are not) in `set`. */
export function span(s: string, from: number, set: string, inSet: boolean, end = s.length): number {
  const table = tableFor(set);
  const want = inSet ? 1 : 0;
  let i = from;
  while (i < end && table[s.charCodeAt(i) & 0xff] === want) i++;
  return i - from;
}

/** Index of the two-byte sequence `ab` in s[from, end), or -1. */
export function indexOfPair(s: string, from: number, a: string, b: string, end = s.length): number {
  for (let i = from; i + 1 < end; i++) if (s[i] === a && s[i + 1] === b) return i;
  return -1;
}

function isBackslashEscaped(s: string, end: number, start: number): boolean {
  let p = end;
  while (p >= start && s[p] === '\\') p--;
  return (end - p) % 2 === 1;
}

/** Reads a quoted string; `offset` skips the opening quote (0 = quote is implied by context). */
export function parseStringCore(s: string, pos: number, tok: SqliToken, delim: string, offset: number): number {
  const start = pos + offset;
  tok.strOpen = offset > 0 ? delim : '';
  let q = s.indexOf(delim, start);
  for (;;) {
    if (q < 0) {
      assignToken(tok, T.string, start, s.length - start, s.slice(start));
      tok.strClose = '';
      return s.length;
    }
    if (isBackslashEscaped(s, q - 1, start)) {
      q = s.indexOf(delim, q + 1);
    } else if (q + 1 < s.length && s[q + 1] === s[q]) {
      q = s.indexOf(delim, q + 2);
    } else {
      assignToken(tok, T.string, start, q - start, s.slice(start, q));
      tok.strClose = delim;
      return q + 1;
    }
  }
}


export type Parser = (st: SqliState) => number;

export const parseString: Parser = (st) => parseStringCore(st.s, st.pos, st.current, st.s[st.pos]!, 1);
