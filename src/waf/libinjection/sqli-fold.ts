/**
 * Token folding: reduces the token stream to at most five "meaningful" tokens by merging
 * phrases ("UNION ALL"), dropping unary operators, collapsing arithmetic ("1+2" -> "1"), etc.
 * Works on two-token and then three-token windows, `left` marking the folded prefix.
 */
import { T, type SqliState, type SqliToken, TOKEN_VAL_MAX, copyToken } from './sqli-state.js';
import { tokenize } from './sqli-tokenizer.js';

export const MAX_TOKENS = 5;

/** Membership table of a set of token types. */
function typeSet(types: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < types.length; i++) t[types.charCodeAt(i)] = 1;
  return t;
}

function isUnaryOp(t: SqliToken): boolean {
  if (t.type !== T.operator) return false;
  const k = t.at(0);
  if (t.len === 1) return k === 0x2b || k === 0x2d || k === 0x21 || k === 0x7e; // + - ! ~
  if (t.len === 2) return k === 0x21 && t.at(1) === 0x21; // !!
  return t.is('NOT');
}

function isArithmeticOp(t: SqliToken): boolean {
  if (t.type !== T.operator || t.len !== 1) return false;
  const k = t.at(0);
  return k === 0x2a || k === 0x2f || k === 0x2d || k === 0x2b || k === 0x25; // * / - + %
}

const MERGE_LEFT = typeSet('knoUfETt');
const MERGE_RIGHT = typeSet('knoUfETt&');

/** "UNION" + "ALL" -> "UNION ALL" when the phrase is itself a keyword. */
function mergeWords(st: SqliState, a: SqliToken, b: SqliToken): boolean {
  if (MERGE_LEFT[a.type] !== 1 || MERGE_RIGHT[b.type] !== 1) return false;
  if (a.len + b.len + 1 > TOKEN_VAL_MAX) return false;
  const type = st.compiled.lookupPhrase(a.src, a.off, a.len, b.src, b.off, b.len);
  if (type === 0) return false;
  // Only a phrase that is a keyword is built as a string (rare: "UNION ALL", "NOT IN", ...).
  const phrase = `${a.val} ${b.val}`;
  a.type = type;
  a.len = phrase.length;
  a.src = phrase;
  a.off = 0;
  return true;
}

/** Words that are column names unless followed by "(" (then they are functions). */
const FUNCTION_IF_CALLED = [
  'USER_ID', 'USER_NAME', 'DATABASE', 'PASSWORD', 'USER', 'CURRENT_USER', 'CURRENT_DATE',
  'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP',
];

const functionIfCalled = (t: SqliToken): boolean => FUNCTION_IF_CALLED.some((w) => t.is(w));

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
  if (a.type === T.semicolon && b.type === T.function && b.startsWith('IF')) {
    // IF after ';' is Transact-SQL flow control, not the IF() function.
    b.type = T.tsql;
    return 'continue';
  }
  if ((a.type === T.bareword || a.type === T.variable) && b.type === T.lparen && functionIfCalled(a)) {
    a.type = T.function;
    return 'continue';
  }
  if (a.type === T.keyword && (a.is('IN') || a.is('NOT IN'))) {
    a.type = b.type === T.lparen ? T.operator : T.bareword;
    return 'continue';
  }
  if (a.type === T.operator && (a.is('LIKE') || a.is('NOT LIKE'))) {
    if (b.type === T.lparen) a.type = T.function;
    return 'next';
  }
  if (a.type === T.sqltype && AFTER_SQLTYPE[b.type] === 1) {
    copyToken(a, b);
    w.pos--;
    w.left = 0;
    return 'continue';
  }
  if (a.type === T.collate && b.type === T.bareword) {
    if (b.includes(0x5f)) {
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

const AFTER_SQLTYPE = typeSet('1nt(fvs');
const V1N = typeSet('v1n');
const N1 = typeSet('n1');
const N1VS = typeSet('n1vs');
const N1SV = N1VS;
const EB_COMMA = typeSet('EB,');
const KEB = typeSet('kEB');
const N1VSF = typeSet('1nvsf');
const NUMERIC_VALUE = typeSet('1nvs');

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
  if (a.type === T.variable && b.type === T.operator && V1N[c.type] === 1) return drop2(w);
  if (N1[a.type] === 1 && b.type === T.operator && N1[c.type] === 1) return drop2(w);
  if (N1VS[a.type] === 1 && b.type === T.operator && b.len === 2 && b.at(0) === 0x3a && b.at(1) === 0x3a && c.type === T.sqltype) return drop2(w);
  if (N1SV[a.type] === 1 && b.type === T.comma && N1SV[c.type] === 1) return drop2(w);
  if (EB_COMMA[a.type] === 1 && isUnaryOp(b) && c.type === T.lparen) return dropMiddle(w, b, c);
  if (KEB[a.type] === 1 && isUnaryOp(b) && N1VSF[c.type] === 1) return dropMiddle(w, b, c);
  if (a.type === T.comma && isUnaryOp(b) && NUMERIC_VALUE[c.type] === 1) {
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
    if (a.is('USER')) a.type = T.bareword;
  }
  return false;
}

/** The folding window; one per module (folding is synchronous and not re-entrant). */
interface Window {
  pos: number; // where the next token goes
  left: number; // tokens already settled
}

const w: Window = { pos: 0, left: 0 };

/** Reads tokens until the window holds `upto` tokens; comments are set aside. False at end of input. */
function fill(st: SqliState, w: Window, upto: number, lastComment: SqliToken): boolean {
  const v = st.tokenvec;
  while (w.pos <= MAX_TOKENS && w.pos - w.left < upto) {
    st.current = v[w.pos]!;
    if (!tokenize(st)) return false;
    if (st.current.type === T.comment) {
      copyToken(lastComment, st.current);
    } else {
      lastComment.type = 0;
      w.pos++;
    }
  }
  return true;
}

/** Folds the token stream of `st`; returns how many tokens of st.tokenvec are meaningful. */
export function fold(st: SqliState): number {
  const v = st.tokenvec;
  const lastComment = st.lastComment;
  lastComment.type = 0;
  w.pos = 0;
  w.left = 0;
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
  const a = v[0]!.type;
  const b = v[1]!.type;
  const c = v[2]!.type;
  const d = v[3]!.type;
  const e = v[4]!.type;
  return (
    (a === T.number && (b === T.operator || b === T.comma) && c === T.lparen && d === T.number && e === T.rparen) ||
    (a === T.bareword && b === T.operator && c === T.lparen && (d === T.bareword || d === T.number) && e === T.rparen) ||
    (a === T.number && b === T.rparen && c === T.comma && d === T.lparen && e === T.number) ||
    (a === T.bareword && b === T.rparen && c === T.operator && d === T.lparen && e === T.bareword)
  );
}
