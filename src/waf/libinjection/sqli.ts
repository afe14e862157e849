/**
 * SQLi verdict: fold the input in up to three quoting contexts (as-is, as if inside '...',
 * as if inside "..."), build the fingerprint from the folded token types, look it up in the
 * fingerprint set, then apply the false-positive heuristics for very short fingerprints.
 */
import type { SqliData } from './sqli-data.js';
import { fold } from './sqli-fold.js';
import {
  FLAG_QUOTE_DOUBLE, FLAG_QUOTE_NONE, FLAG_QUOTE_SINGLE, FLAG_SQL_ANSI, FLAG_SQL_MYSQL, SqliState, T, asciiUpper,
} from './sqli-state.js';

/** Computes the fingerprint of `st.s` under `flags` (resets the state first). */
export function fingerprintOf(st: SqliState, flags: number): string {
  st.reset(flags);
  const n = fold(st);
  const v = st.tokenvec;
  const last = v[n - 1];
  // An unterminated, empty backtick at the end is PHP-style comment trickery.
  if (n > 2 && last && last.type === T.bareword && last.strOpen === '`' && last.len === 0 && last.strClose === '') {
    last.type = T.comment;
  }
  let fp = '';
  for (let i = 0; i < n; i++) fp += v[i]!.type;
  if (fp.includes(T.evil)) {
    fp = T.evil;
    const first = v[0]!;
    first.type = T.evil;
    first.val = T.evil;
    first.len = 1;
    v[1]!.type = '';
  }
  st.fingerprint = fp;
  return fp;
}

function inBlacklist(st: SqliState): boolean {
  const fp = st.fingerprint;
  return fp.length > 0 && st.data.fingerprints.has(asciiUpper(fp));
}

/** Heuristics that clear short fingerprints which are common in ordinary text. */
function notWhitelisted(st: SqliState): boolean {
  const fp = st.fingerprint;
  const v = st.tokenvec;
  const t0 = v[0]!;
  const t1 = v[1]!;
  if (fp.length > 1 && fp.endsWith(T.comment) && st.s.includes('sp_password')) return true;
  if (fp.length === 2) {
    if (fp[1] === T.union) return st.statsTokens !== 2;
    if (t1.val[0] === '#') return false;
    if (t0.type === T.bareword && t1.type === T.comment && t1.val[0] !== '/') return false;
    if (t0.type === T.number && t1.type === T.comment) {
      if (t1.val[0] === '/') return true;
      if (st.statsTokens > 2) return true;
      // "1234--" is a probe, "1234-ABCDEF--" (base64-ish) is not: look at the raw next byte.
      const next = st.s.charCodeAt(t0.len);
      // (The reference reads a signed char, so bytes >= 0x80 count as "<= 32" as well.)
      if (Number.isNaN(next) || next <= 32 || next >= 0x80) return true;
      const after = st.s[t0.len + 1];
      if (next === 0x2f && after === '*') return true;
      if (next === 0x2d && after === '-') return true;
      return false;
    }
    if (t1.len > 2 && t1.val[0] === '-') return false;
    return true;
  }
  if (fp.length === 3) {
    if (fp === 'sos' || fp === 's&s') {
      // ...foo' + 'bar... with no outer quotes is string concatenation in the attack context.
      const v2 = v[2]!;
      return t0.strOpen === '' && v2.strClose === '' && t0.strClose === v2.strOpen;
    }
    if (['s&n', 'n&1', '1&1', '1&v', '1&s'].includes(fp)) return st.statsTokens !== 3;
    if (t1.type === T.keyword) {
      // Only INTO OUTFILE / INTO DUMPFILE style keywords are dangerous here.
      return !(t1.len < 5 || !asciiUpper(t1.val).startsWith('INTO'));
    }
  }
  return true;
}

function matches(st: SqliState): boolean {
  return inBlacklist(st) && notWhitelisted(st);
}

let pooled: SqliState | undefined;

const reparseAsMysql = (st: SqliState): boolean => st.statsCommentDdx > 0 || st.statsCommentHash > 0;

/**
 * Full libinjection-style check of a byte string.
 * @example
 * isSqli("1' OR '1'='1", data) // { sqli: true, fingerprint: 's&sos' }
 */
export function isSqli(input: string, data: SqliData): { sqli: boolean; fingerprint: string } {
  if (input.length === 0) return { sqli: false, fingerprint: '' };
  // One state (eight token buffers) is reused across calls: the check is synchronous and not re-entrant.
  const st = pooled !== undefined && pooled.data === data ? pooled.useInput(input, 0) : (pooled = new SqliState(input, 0, data));
  const attempt = (flags: number): boolean => {
    fingerprintOf(st, flags);
    return matches(st);
  };
  const hit = (): { sqli: boolean; fingerprint: string } => ({ sqli: true, fingerprint: st.fingerprint });
  if (attempt(FLAG_QUOTE_NONE | FLAG_SQL_ANSI)) return hit();
  if (reparseAsMysql(st) && attempt(FLAG_QUOTE_NONE | FLAG_SQL_MYSQL)) return hit();
  if (input.includes("'")) {
    if (attempt(FLAG_QUOTE_SINGLE | FLAG_SQL_ANSI)) return hit();
    if (reparseAsMysql(st) && attempt(FLAG_QUOTE_SINGLE | FLAG_SQL_MYSQL)) return hit();
  }
  if (input.includes('"') && attempt(FLAG_QUOTE_DOUBLE | FLAG_SQL_MYSQL)) return hit();
  return { sqli: false, fingerprint: '' };
}
