/**
 * Token folding: reduces the token stream to at most five "meaningful" tokens by merging
 * phrases ("UNION ALL"), dropping unary operators, collapsing arithmetic ("1+2" -> "1"), etc.
 * Works on two-token and then three-token windows, `left` marking the folded prefix.
 */
import {
  T, type SqliState, type SqliToken, TOKEN_VAL_MAX, asciiUpper, copyToken, emptyToken,
} from './sqli-state.js';
import { tokenize } from './sqli-tokenizer.js';

export const MAX_TOKENS = 5;

function isUnaryOp(t: SqliToken): boolean {
  if (t.type !== T.operator) return false;
  const v = t.val.slice(0, t.len);
  return v === '+' || v === '-' || v === '!' || v === '~' || v === '!!' || (v.length === 3 && v.toUpperCase() === 'NOT');
}

function isArithmeticOp(t: SqliToken): boolean {
  return t.type === T.operator && t.len === 1 && '*/-+%'.includes(t.val[0] ?? '\0');
}

function is(t: SqliToken, word: string): boolean {
  return t.len === word.length && asciiUpper(t.val) === word;
}

const MERGE_LEFT = new Set<string>([T.keyword, T.bareword, T.operator, T.union, T.function, T.expression, T.tsql, T.sqltype]);
const MERGE_RIGHT = new Set<string>([...MERGE_LEFT, T.logic]);

/** "UNION" + "ALL" -> "UNION ALL" when the phrase is itself a keyword. */
function mergeWords(st: SqliState, a: SqliToken, b: SqliToken): boolean {
  if (!MERGE_LEFT.has(a.type) || !MERGE_RIGHT.has(b.type)) return false;
  if (a.len + b.len + 1 > TOKEN_VAL_MAX) return false;
  const phrase = `${a.val} ${b.val}`;
  const type = st.lookupWord(phrase);
  if (!type) return false;
  const pos = a.pos;
  a.type = type;
  a.pos = pos;
  a.len = phrase.length;
  a.val = phrase;
  return true;
}

/** Words that are column names unless followed by "(" (then they are functions). */
const FUNCTION_IF_CALLED = new Set([
  'USER_ID', 'USER_NAME', 'DATABASE', 'PASSWORD', 'USER', 'CURRENT_USER', 'CURRENT_DATE',
  'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP',
]);

type Step = 'continue' | 'next' | 'stop';

/** Two-token rules; returns 'continue' (re-examine), 'next' (try 3-token rules), or a stop. */
function fold2(st: SqliState, w: Window): Step | number {
  const v = st.tokenvec;
  const a = v[w.left]!;
  const b = v[w.left + 1]!;
  if ((a.type === T.string && b.type === T.string) || (a.type === T.semicolon && b.type === T.semicolon)) {
    w.pos--;
    return 'continue';
  }
  if ((a.type === T.operator || a.type === T.logic) && (isUnaryOp(b) || b.type === T.sqltype)) {
    w.pos--;
    w.left = 0;
    return 'continue';
  }
  if (a.type === T.lparen && isUnaryOp(b)) {
    w.pos--;
    if (w.left > 0) w.left--;
    return 'continue';
  }
  if (mergeWords(st, a, b)) {
    w.pos--;
    if (w.left > 0) w.left--;
    return 'continue';
  }
  if (a.type === T.semicolon && b.type === T.function && /^if/i.test(b.val)) {
    // IF after ';' is Transact-SQL flow control, not the IF() function.
    b.type = T.tsql;
    return 'continue';
  }
  if ((a.type === T.bareword || a.type === T.variable) && b.type === T.lparen && FUNCTION_IF_CALLED.has(asciiUpper(a.val))) {
    a.type = T.function;
    return 'continue';
  }
  if (a.type === T.keyword && (is(a, 'IN') || is(a, 'NOT IN'))) {
    a.type = b.type === T.lparen ? T.operator : T.bareword;
    return 'continue';
  }
  if (a.type === T.operator && (is(a, 'LIKE') || is(a, 'NOT LIKE'))) {
    if (b.type === T.lparen) a.type = T.function;
    return 'next';
  }
  if (a.type === T.sqltype && '1nt(fvs'.includes(b.type)) {
    copyToken(a, b);
    w.pos--;
    w.left = 0;
    return 'continue';
  }
  if (a.type === T.collate && b.type === T.bareword) {
    if (b.val.includes('_')) {
      b.type = T.sqltype;
      w.left = 0;
    }
    return 'next';
  }
  if (a.type === T.backslash) {
    if (isArithmeticOp(b)) {
      a.type = T.number;
    } else {
      copyToken(a, b);
      w.pos--;
    }
    w.left = 0;
    return 'continue';
  }
  if ((a.type === T.lparen && b.type === T.lparen) || (a.type === T.rparen && b.type === T.rparen)) {
    w.pos--;
    w.left = 0;
    return 'continue';
  }
  if (a.type === T.lbrace && b.type === T.bareword) {
    if (b.len === 0) {
      // "{ ``" — MySQL ODBC-escape oddity that cannot be folded sanely: treat as evil.
      b.type = T.evil;
      return w.left + 2;
    }
    w.left = 0;
    w.pos -= 2;
    return 'continue';
  }
  if (b.type === T.rbrace) {
    w.pos--;
    w.left = 0;
    return 'continue';
  }
  return 'next';
}

const isAny = (t: SqliToken, types: string): boolean => t.type !== '' && types.includes(t.type);

function drop2(w: Window): true {
  w.pos -= 2;
  w.left = 0;
  return true;
}

function dropMiddle(w: Window, b: SqliToken, c: SqliToken): true {
  copyToken(b, c);
  w.pos--;
  w.left = 0;
  return true;
}

/** Three-token rules. */
function fold3(w: Window, v: SqliToken[]): boolean {
  const a = v[w.left]!;
  const b = v[w.left + 1]!;
  const c = v[w.left + 2]!;
  if (a.type === T.number && b.type === T.operator && c.type === T.number) return drop2(w);
  if (a.type === T.operator && b.type !== T.lparen && c.type === T.operator) return drop2(w);
  if (a.type === T.logic && c.type === T.logic) return drop2(w);
  if (a.type === T.variable && b.type === T.operator && isAny(c, 'v1n')) return drop2(w);
  if (isAny(a, 'n1') && b.type === T.operator && isAny(c, '1n')) return drop2(w);
  if (isAny(a, 'n1vs') && b.type === T.operator && b.val === '::' && c.type === T.sqltype) return drop2(w);
  if (isAny(a, 'n1sv') && b.type === T.comma && isAny(c, '1nsv')) return drop2(w);
  if (isAny(a, 'EB,') && isUnaryOp(b) && c.type === T.lparen) return dropMiddle(w, b, c);
  if (isAny(a, 'kEB') && isUnaryOp(b) && isAny(c, '1nvsf')) return dropMiddle(w, b, c);
  if (a.type === T.comma && isUnaryOp(b) && isAny(c, '1nvs')) {
    copyToken(b, c);
    w.left = 0;
    w.pos -= 3;
    return true;
  }
  if (a.type === T.comma && isUnaryOp(b) && c.type === T.function) return dropMiddle(w, b, c);
  if (a.type === T.bareword && b.type === T.dot && c.type === T.bareword) return drop2(w);
  if (a.type === T.expression && b.type === T.dot && c.type === T.bareword) return dropMiddle(w, b, c);
  if (a.type === T.function && b.type === T.lparen && c.type !== T.rparen) {
    // USER(x) is a column used like a call; only USER() is the function.
    if (is(a, 'USER')) a.type = T.bareword;
  }
  return false;
}

interface Window {
  pos: number; // where the next token goes
  left: number; // tokens already settled
}

/** Reads tokens until the window holds `upto` tokens; comments are set aside. False at end of input. */
function fill(st: SqliState, w: Window, upto: number, lastComment: SqliToken): boolean {
  const v = st.tokenvec;
  while (w.pos <= MAX_TOKENS && w.pos - w.left < upto) {
    st.current = v[w.pos]!;
    if (!tokenize(st)) return false;
    if (st.current.type === T.comment) {
      copyToken(lastComment, st.current);
    } else {
      lastComment.type = '';
      w.pos++;
    }
  }
  return true;
}

/** Folds the token stream of `st`; returns how many tokens of st.tokenvec are meaningful. */
export function fold(st: SqliState): number {
  const v = st.tokenvec;
  const lastComment = emptyToken();
  const w: Window = { pos: 0, left: 0 };
  let more = true;

  // Leading comments, "(", SQL types and unary operators carry no signal.
  st.current = v[0]!;
  for (;;) {
    more = tokenize(st);
    const t = st.current;
    if (!(t.type === T.comment || t.type === T.lparen || t.type === T.sqltype || isUnaryOp(t))) break;
  }
  if (!more) return 0;
  w.pos = 1;


  for (;;) {
    if (w.pos >= MAX_TOKENS && isRestartShape(v)) {
      if (w.pos > MAX_TOKENS) {
        copyToken(v[1]!, v[MAX_TOKENS]!);
        w.pos = 2;
      } else {
        w.pos = 1;
      }
      w.left = 0;
    }
    if (!more || w.left >= MAX_TOKENS) {
      w.left = w.pos;
      break;
    }
    if (more) more = fill(st, w, 2, lastComment);
    if (w.pos - w.left < 2) {
      w.left = w.pos;
      continue;
    }
    const r = fold2(st, w);
    if (typeof r === 'number') return r;
    if (r === 'continue') continue;
    if (more) more = fill(st, w, 3, lastComment);
    if (w.pos - w.left < 3) {
      w.left = w.pos;
      continue;
    }
    if (fold3(w, v)) continue;
    w.left++;
  }
  if (w.left < MAX_TOKENS && lastComment.type === T.comment) {
    copyToken(v[w.left]!, lastComment);
    w.left++;
  }
  return Math.min(w.left, MAX_TOKENS);
}

/** Five-token shapes like "1,(1)" or "n)o(n" after which folding restarts from the left. */
function isRestartShape(v: SqliToken[]): boolean {
  const [a, b, c, d, e] = [v[0]!.type, v[1]!.type, v[2]!.type, v[3]!.type, v[4]!.type];
  return (
    (a === '1' && (b === 'o' || b === ',') && c === '(' && d === '1' && e === ')') ||
    (a === 'n' && b === 'o' && c === '(' && (d === 'n' || d === '1') && e === ')') ||
    (a === '1' && b === ')' && c === ',' && d === '(' && e === '1') ||
    (a === 'n' && b === ')' && c === 'o' && d === '(' && e === 'n')
  );
}
