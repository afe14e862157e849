/**
 * SQLi verdict: fold the input in up to three quoting contexts (as-is, as if inside '...',
 * as if inside "..."), build the fingerprint from the folded token types, look it up in the
 * fingerprint set, then apply the false-positive heuristics for very short fingerprints.
 */
import type { SqliData } from './sqli-data.js';
import { fold } from './sqli-fold.js';
import {
  FLAG_QUOTE_DOUBLE, FLAG_QUOTE_NONE, FLAG_QUOTE_SINGLE, FLAG_SQL_ANSI, FLAG_SQL_MYSQL, SqliState, T,
} from './sqli-state.js';

/** Folds `st.s` under `flags` (resets the state first); the fingerprint is the first `st.fpLen` token types. */
function foldFingerprint(st: SqliState, flags: number): void {
  st.reset(flags);
  const n = fold(st);
  const v = st.tokenvec;
  const last = v[n - 1];
  // An unterminated, empty backtick at the end is PHP-style comment trickery.
  if (n > 2 && last && last.type === T.bareword && last.strOpen === '`' && last.len === 0 && last.strClose === '') {
    last.type = T.comment;
  }
  st.fpLen = n;
  for (let i = 0; i < n; i++) {
    if (v[i]!.type !== T.evil) continue;
    const first = v[0]!;
    first.type = T.evil;
    first.src = 'X';
    first.off = 0;
    first.len = 1;
    v[1]!.type = 0;
    st.fpLen = 1;
    break;
  }
}

/**
 * Computes the fingerprint of `st.s` under `flags` (resets the state first).
 * @example
 * fingerprintOf(new SqliState("1' OR '1'='1", 0, data), FLAG_QUOTE_SINGLE | FLAG_SQL_ANSI) // 's&sos'
 */
export function fingerprintOf(st: SqliState, flags: number): string {
  foldFingerprint(st, flags);
  return st.fingerprint;
}

const fpTypes = new Int32Array(8);

function inBlacklist(st: SqliState): boolean {
  const n = st.fpLen;
  for (let i = 0; i < n; i++) fpTypes[i] = st.tokenvec[i]!.type;
  return st.compiled.hasFingerprint(fpTypes, n);
}

/** 's&n', 'n&1', '1&1', '1&v', '1&s': a logic operator between short values. */
function isShortLogic(a: number, b: number, c: number): boolean {
  if (b !== T.logic) return false;
  if (a === T.string) return c === T.bareword;
  if (a === T.bareword) return c === T.number;
  return a === T.number && (c === T.number || c === T.variable || c === T.string);
}

/** Heuristics that clear short fingerprints which are common in ordinary text. */
function notWhitelisted(st: SqliState): boolean {
  const n = st.fpLen;
  const v = st.tokenvec;
  const t0 = v[0]!;
  const t1 = v[1]!;
  if (n > 1 && v[n - 1]!.type === T.comment && st.s.includes('sp_password')) return true;
  if (n === 2) {
    if (t1.type === T.union) return st.statsTokens !== 2;
    if (t1.at(0) === 0x23) return false; // '#'
    if (t0.type === T.bareword && t1.type === T.comment && t1.at(0) !== 0x2f) return false;
    if (t0.type === T.number && t1.type === T.comment) {
      if (t1.at(0) === 0x2f) return true;
      if (st.statsTokens > 2) return true;
      // "1234--" is a probe, "1234-ABCDEF--" (base64-ish) is not: look at the raw next byte.
      const next = st.s.charCodeAt(t0.len);
      // (The reference reads a signed char, so bytes >= 0x80 count as "<= 32" as well.)
      if (Number.isNaN(next) || next <= 32 || next >= 0x80) return true;
      const after = st.s.charCodeAt(t0.len + 1);
      if (next === 0x2f && after === 0x2a) return true;
      if (next === 0x2d && after === 0x2d) return true;
      return false;
    }
    if (t1.len > 2 && t1.at(0) === 0x2d) return false;
    return true;
  }
  if (n === 3) {
    const v2 = v[2]!;
    if ((t0.type === T.string && v2.type === T.string) && (t1.type === T.operator || t1.type === T.logic)) {
      // ...foo' + 'bar... with no outer quotes is string concatenation in the attack context.
      return t0.strOpen === '' && v2.strClose === '' && t0.strClose === v2.strOpen;
    }
    if (isShortLogic(t0.type, t1.type, v2.type)) return st.statsTokens !== 3;
    if (t1.type === T.keyword) {
      // Only INTO OUTFILE / INTO DUMPFILE style keywords are dangerous here.
      return !(t1.len < 5 || !t1.startsWith('INTO'));
    }
  }
  return true;
}

let pooled: SqliState | undefined;

const reparseAsMysql = (st: SqliState): boolean => st.statsCommentDdx > 0 || st.statsCommentHash > 0;

const NOT_SQLI: { readonly sqli: false; readonly fingerprint: '' } = Object.freeze({ sqli: false, fingerprint: '' });

/**
 * Full libinjection-style check of a byte string.
 * @example
 * isSqli("1' OR '1'='1", data) // { sqli: true, fingerprint: 's&sos' }
 */
export function isSqli(input: string, data: SqliData): { sqli: boolean; fingerprint: string } {
  if (input.length === 0) return NOT_SQLI;
  // One state (eight token buffers) is reused across calls: the check is synchronous and not re-entrant.
  const st = pooled !== undefined && pooled.data === data ? pooled.useInput(input, 0) : (pooled = new SqliState(input, 0, data));
  if (attempt(st, FLAG_QUOTE_NONE | FLAG_SQL_ANSI)) return hit(st);
  if (reparseAsMysql(st) && attempt(st, FLAG_QUOTE_NONE | FLAG_SQL_MYSQL)) return hit(st);
  if (input.includes("'")) {
    if (attempt(st, FLAG_QUOTE_SINGLE | FLAG_SQL_ANSI)) return hit(st);
    if (reparseAsMysql(st) && attempt(st, FLAG_QUOTE_SINGLE | FLAG_SQL_MYSQL)) return hit(st);
  }
  if (input.includes('"') && attempt(st, FLAG_QUOTE_DOUBLE | FLAG_SQL_MYSQL)) return hit(st);
  return NOT_SQLI;
}

function attempt(st: SqliState, flags: number): boolean {
  foldFingerprint(st, flags);
  return inBlacklist(st) && notWhitelisted(st);
}

const hit = (st: SqliState): { sqli: boolean; fingerprint: string } => ({ sqli: true, fingerprint: st.fingerprint });
