/**
 * Token and tokenizer-state types of the SQLi detector, shared by the tokenizer, the folder
 * and the verdict. Token types are char codes (the letters of a fingerprint) and token values
 * are (source, offset, length) views, so a pass over the input allocates nothing per token.
 */
import type { SqliData } from './sqli-data.js';
import { type CompiledSqliData, compileSqliData } from './sqli-keywords.js';

const c = (ch: string): number => ch.charCodeAt(0);

/** Token type char codes (the letters that make up a fingerprint); 0 is "no token". */
export const T = {
  none: 0, keyword: c('k'), union: c('U'), group: c('B'), expression: c('E'), sqltype: c('t'), function: c('f'),
  bareword: c('n'), number: c('1'), variable: c('v'), string: c('s'), operator: c('o'), logic: c('&'),
  comment: c('c'), collate: c('A'), lparen: c('('), rparen: c(')'), lbrace: c('{'), rbrace: c('}'), dot: c('.'),
  comma: c(','), colon: c(':'), semicolon: c(';'), tsql: c('T'), unknown: c('?'), evil: c('X'), backslash: c('\\'),
} as const;

export const FLAG_QUOTE_NONE = 1;
export const FLAG_QUOTE_SINGLE = 2;
export const FLAG_QUOTE_DOUBLE = 4;
export const FLAG_SQL_ANSI = 8;
export const FLAG_SQL_MYSQL = 16;

/** Values are kept to 31 bytes, as the reference keeps them in a 32-byte buffer. */
export const TOKEN_VAL_MAX = 31;

/**
 * One token. Its value is `src[off, off + len)`: the input itself for every token the
 * tokenizer reads, a separate string only for merged phrases ("UNION ALL") and the evil marker.
 */
export class SqliToken {
  type = 0;
  pos = 0;
  len = 0;
  src = '';
  off = 0;
  strOpen = '';
  strClose = '';
  count = 0;

  /** The value as a string (allocates: for tests and rare paths only). */
  get val(): string {
    return this.src.slice(this.off, this.off + this.len);
  }

  /** Char code of the value at `i` (NaN past the end of the source). */
  at(i: number): number {
    return i < this.len ? this.src.charCodeAt(this.off + i) : Number.NaN;
  }

  /** Whether the value is `upper` (an upper-case ASCII word), ignoring ASCII case. */
  is(upper: string): boolean {
    return this.len === upper.length && this.startsWith(upper);
  }

  /** Whether the value starts with `upper` (an upper-case ASCII word), ignoring ASCII case. */
  startsWith(upper: string): boolean {
    if (this.len < upper.length) return false;
    for (let i = 0; i < upper.length; i++) if (asciiUpperCode(this.src.charCodeAt(this.off + i)) !== upper.charCodeAt(i)) return false;
    return true;
  }

  /** Whether the value contains the char code `k`. */
  includes(k: number): boolean {
    for (let i = 0; i < this.len; i++) if (this.src.charCodeAt(this.off + i) === k) return true;
    return false;
  }
}

export function clearToken(t: SqliToken): void {
  t.type = 0;
  t.pos = 0;
  t.len = 0;
  t.src = '';
  t.off = 0;
  t.strOpen = '';
  t.strClose = '';
  t.count = 0;
}

export function copyToken(dst: SqliToken, src: SqliToken): void {
  dst.type = src.type;
  dst.pos = src.pos;
  dst.len = src.len;
  dst.src = src.src;
  dst.off = src.off;
  dst.strOpen = src.strOpen;
  dst.strClose = src.strClose;
  dst.count = src.count;
}

/** Sets a token read from the input: its value is `s[pos, pos + len)`, kept to 31 bytes. */
export function assignToken(t: SqliToken, type: number, s: string, pos: number, len: number): void {
  t.type = type;
  t.pos = pos;
  t.len = len < TOKEN_VAL_MAX ? len : TOKEN_VAL_MAX;
  t.src = s;
  t.off = pos;
}

/** Mutable tokenizer state for one pass over the input. */
export class SqliState {
  s: string;
  readonly data: SqliData;
  readonly compiled: CompiledSqliData;
  flags: number;
  pos = 0;
  readonly tokenvec: SqliToken[] = Array.from({ length: 8 }, () => new SqliToken());
  /** Scratch for the folder: the last comment set aside, and its window. */
  readonly lastComment = new SqliToken();
  current: SqliToken;
  statsTokens = 0;
  statsCommentDdx = 0;
  statsCommentHash = 0;
  /** Tokens of the fingerprint (set by fingerprintOf). */
  fpLen = 0;

  constructor(s: string, flags: number, data: SqliData) {
    this.s = s;
    this.data = data;
    this.compiled = compileSqliData(data);
    this.flags = 0;
    this.current = this.tokenvec[0]!;
    this.reset(flags);
  }

  /** The fingerprint as a string: the type letters of the first fpLen tokens. */
  get fingerprint(): string {
    let fp = '';
    for (let i = 0; i < this.fpLen; i++) fp += String.fromCharCode(this.tokenvec[i]!.type);
    return fp;
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
    this.fpLen = 0;
    for (const t of this.tokenvec) clearToken(t);
    this.current = this.tokenvec[0]!;
  }

  /** Keyword type of `s[from, from + len)` (ASCII case-insensitive), or 0 when unknown. */
  lookupWord(s: string, from: number, len: number): number {
    return this.compiled.lookup(s, from, len);
  }
}

export function asciiUpperCode(k: number): number {
  return k >= 0x61 && k <= 0x7a ? k - 0x20 : k;
}

/** White space as the reference's char_is_white: space, \t-\r, 0xA0 and NUL. */
export function isWhiteCode(k: number): boolean {
  return k === 0x20 || (k >= 0x09 && k <= 0x0d) || k === 0xa0 || k === 0;
}
