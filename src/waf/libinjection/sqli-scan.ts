/** Byte-scanning helpers and the quoted-string reader shared by the SQL token parsers. */
import { type SqliState, type SqliToken, T, assignToken } from './sqli-state.js';

/** Whether a char code is an ASCII digit (false for NaN, past the end). */
export const isDigitCode = (k: number): boolean => k >= 0x30 && k <= 0x39;

/** Membership table for a byte set (build once, at module load). */
export function byteSet(set: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < set.length; i++) t[set.charCodeAt(i) & 0xff] = 1;
  return t;
}

/** Length of the run of bytes from `from` (up to `end`) that are (or are not) in `table`. */
export function span(s: string, from: number, table: Uint8Array, inSet: boolean, end = s.length): number {
  const want = inSet ? 1 : 0;
  let i = from;
  while (i < end && table[s.charCodeAt(i) & 0xff] === want) i++;
  return i - from;
}

/** Index of the two-byte sequence `a b` (char codes) in s[from, end), or -1. */
export function indexOfPair(s: string, from: number, a: number, b: number, end = s.length): number {
  for (let i = from; i + 1 < end; i++) if (s.charCodeAt(i) === a && s.charCodeAt(i + 1) === b) return i;
  return -1;
}

function isBackslashEscaped(s: string, end: number, start: number): boolean {
  let p = end;
  while (p >= start && s.charCodeAt(p) === 0x5c) p--;
  return (end - p) % 2 === 1;
}

/** Reads a quoted string; `offset` skips the opening quote (0 = quote is implied by context). */
export function parseStringCore(s: string, pos: number, tok: SqliToken, delim: string, offset: number): number {
  const start = pos + offset;
  tok.strOpen = offset > 0 ? delim : '';
  const d = delim.charCodeAt(0);
  let q = s.indexOf(delim, start);
  for (;;) {
    if (q < 0) {
      assignToken(tok, T.string, s, start, s.length - start);
      tok.strClose = '';
      return s.length;
    }
    if (isBackslashEscaped(s, q - 1, start)) {
      q = s.indexOf(delim, q + 1);
    } else if (q + 1 < s.length && s.charCodeAt(q + 1) === d) {
      q = s.indexOf(delim, q + 2);
    } else {
      assignToken(tok, T.string, s, start, q - start);
      tok.strClose = delim;
      return q + 1;
    }
  }
}

export type Parser = (st: SqliState) => number;

export const parseString: Parser = (st) => parseStringCore(st.s, st.pos, st.current, st.s.charCodeAt(st.pos) === 0x22 ? '"' : "'", 1);
