/**
 * Token and tokenizer-state types of the SQLi detector, shared by the tokenizer, the folder
 * and the verdict.
 */
import type { SqliData } from './sqli-data.js';

/** Token type characters (the letters that make up a fingerprint). */
export const T = {
  keyword: 'k', union: 'U', group: 'B', expression: 'E', sqltype: 't', function: 'f',
  bareword: 'n', number: '1', variable: 'v', string: 's', operator: 'o', logic: '&',
  comment: 'c', collate: 'A', lparen: '(', rparen: ')', lbrace: '{', rbrace: '}', dot: '.',
  comma: ',', colon: ':', semicolon: ';', tsql: 'T', unknown: '?', evil: 'X', backslash: '\\',
} as const;

export const FLAG_QUOTE_NONE = 1;
export const FLAG_QUOTE_SINGLE = 2;
export const FLAG_QUOTE_DOUBLE = 4;
export const FLAG_SQL_ANSI = 8;
export const FLAG_SQL_MYSQL = 16;

/** Values are kept to 31 bytes, as the reference keeps them in a 32-byte buffer. */
export const TOKEN_VAL_MAX = 31;

export interface SqliToken {
  type: string; // '' = none
  pos: number;
  len: number;
  val: string;
  strOpen: string;
  strClose: string;
  count: number;
}

export function emptyToken(): SqliToken {
  return { type: '', pos: 0, len: 0, val: '', strOpen: '', strClose: '', count: 0 };
}

export function clearToken(t: SqliToken): void {
  t.type = '';
  t.pos = 0;
  t.len = 0;
  t.val = '';
  t.strOpen = '';
  t.strClose = '';
  t.count = 0;
}

export function copyToken(dst: SqliToken, src: SqliToken): void {
  dst.type = src.type;
  dst.pos = src.pos;
  dst.len = src.len;
  dst.val = src.val;
  dst.strOpen = src.strOpen;
  dst.strClose = src.strClose;
  dst.count = src.count;
}

export function assignToken(t: SqliToken, type: string, pos: number, len: number, value: string): void {
  const n = Math.min(len, TOKEN_VAL_MAX);
  t.type = type;
  t.pos = pos;
  t.len = n;
  t.val = value.slice(0, n);
}

/** Mutable tokenizer state for one pass over the input. */
export class SqliState {
  s: string;
  readonly data: SqliData;
  flags: number;
  pos = 0;
  readonly tokenvec: SqliToken[] = Array.from({ length: 8 }, emptyToken);
  current: SqliToken;
  statsTokens = 0;
  statsCommentDdx = 0;
  statsCommentHash = 0;
  fingerprint = '';

  constructor(s: string, flags: number, data: SqliData) {
    this.s = s;
    this.data = data;
    this.flags = 0;
    this.current = this.tokenvec[0]!;
    this.reset(flags);
  }

  /** Reuses this state (and its token buffers) for another input. */
  useInput(s: string, flags: number): this {
    this.s = s;
    this.reset(flags);
    return this;
  }

  /** Starts a new pass over the same input. */
  reset(flags: number): void {
    this.flags = flags === 0 ? FLAG_QUOTE_NONE | FLAG_SQL_ANSI : flags;
    this.pos = 0;
    this.statsTokens = 0;
    this.statsCommentDdx = 0;
    this.statsCommentHash = 0;
    this.fingerprint = '';
    for (const t of this.tokenvec) clearToken(t);
    this.current = this.tokenvec[0]!;
  }

  /** Keyword type of `word` (ASCII case-insensitive), or '' when unknown. */
  lookupWord(word: string): string {
    if (word.length > longestKeyword(this.data)) return '';
    const type = this.data.keywords.get(word.toUpperCase());
    // Keywords are ASCII: a hit through non-ASCII case mapping (e.g. 'ß' -> 'SS') or a NUL is no hit.
    if (type === undefined || NON_ASCII_OR_NUL.test(word)) return '';
    return type;
  }
}

const longest = new WeakMap<SqliData, number>();

/** Length of the longest keyword or phrase of a table: a longer word is never a keyword. */
function longestKeyword(data: SqliData): number {
  let n = longest.get(data);
  if (n === undefined) {
    n = 0;
    for (const k of data.keywords.keys()) n = Math.max(n, k.length);
    longest.set(data, n);
  }
  return n;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII_OR_NUL = /[^\x01-\x7f]/;

export function asciiUpper(s: string): string {
  let i = 0;
  while (i < s.length && !isLowerAscii(s.charCodeAt(i))) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const k = s.charCodeAt(i);
    out += isLowerAscii(k) ? String.fromCharCode(k - 0x20) : s[i];
  }
  return out;
}

const isLowerAscii = (k: number): boolean => k >= 0x61 && k <= 0x7a;

export function isWhite(c: string | undefined): boolean {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  return k === 0x20 || (k >= 0x09 && k <= 0x0d) || k === 0xa0 || k === 0;
}
