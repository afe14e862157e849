/**
 * Pieces of a long pattern that a regex parser can check one at a time (ADR 0039). CRS v4's
 * command-injection patterns are 8-12 KB: re2js parses and compiles one in 5 ms warm and
 * 40 ms cold, all in one go, only to check that it can express the pattern (the native addon
 * runs it). Checked in pieces of about PIECE_LENGTH, a reload can let the event loop run
 * between them.
 *
 * Validity is compositional in RE2's grammar: `A|B` parses when A and B do, `AB` when A and B
 * do and B starts with an atom (here: a group), `(?:C)` when C does. So a pattern is cut into
 * its alternatives, long alternatives before their groups, and long groups hollowed out
 * (`(?:C)` becomes `(?:x)`, C a piece of its own). Every character of the pattern lands in
 * exactly one piece, so a construct re2js refuses (a backreference, a lookahead, `\Z`, a
 * capture name used twice) is still refused. Lookarounds keep their contents (what re2js
 * allows inside a lookbehind depends on it being one). What the cut loses are the whole's
 * limits (nested repeat counts, duplicate capture names, program size), so the caller checks
 * pieces only for a pattern the RE2 addon accepted whole: the addon enforces the same limits,
 * and its program-size limit is the tighter one.
 * Syntax the scanner does not know (`(?#`, `(?>`, `\Q…\E`, unbalanced brackets) gives one
 * piece: the pattern itself.
 */

/** A pattern longer than this is checked in pieces about this long. */
export const PIECE_LENGTH = 1024;

/** A group whose contents are shorter than this stays in its parent's piece. */
const HOLLOW_MIN = 24;

class Unsplittable extends Error {}

/** One parenthesised group at the top level of a text. */
interface Group {
  readonly open: number;
  /** Where the contents start (after `(`, `(?:`, `(?i:`, `(?P<name>`). */
  readonly from: number;
  /** The index of the closing `)`. */
  readonly close: number;
  /** A lookaround, or a bare flag group `(?i)`: kept whole. */
  readonly keep: boolean;
}

/** The top-level structure of a text: its groups and the positions of its top-level `|`. */
interface Outline {
  readonly groups: readonly Group[];
  readonly bars: readonly number[];
}

/**
 * Splits `pattern` into pieces that re2js accepts one by one exactly when it accepts the whole
 * (within its size limits); a pattern up to `max` long is its only piece.
 *
 * @example
 * validationPieces('(?i)\\b(?:select|union)\\s+(?:from|into)', 24) // ['(?i)\\b', '(?:select|union)\\s+', '(?:from|into)']
 */
export function validationPieces(pattern: string, max = PIECE_LENGTH): string[] {
  // `\Q…\E` quotes brackets and bars: rare enough to check whole.
  if (pattern.length <= max || pattern.includes('\\Q')) return [pattern];
  const out: string[] = [];
  try {
    split(pattern, max, out);
  } catch (e) {
    if (e instanceof Unsplittable) return [pattern];
    throw e;
  }
  return pack(out, max);
}

function split(text: string, max: number, out: string[]): void {
  if (text.length <= max) { out.push(text); return; }
  const { groups } = outline(text);
  let skeleton = '';
  let at = 0;
  for (const g of groups) {
    if (g.keep || g.close - g.from < HOLLOW_MIN) continue;
    skeleton += `${text.slice(at, g.from)}x`;
    at = g.close;
    split(text.slice(g.from, g.close), max, out);
  }
  skeleton += text.slice(at);
  if (skeleton.length <= max) { out.push(skeleton); return; }
  // Still long: many short groups. Its alternatives, then each long one cut before its groups.
  const { bars, groups: left } = outline(skeleton);
  let start = 0;
  for (const end of [...bars, skeleton.length]) {
    const opens = left.filter((g) => g.open > start && g.open < end).map((g) => g.open);
    let from = start;
    let last = start;
    for (const o of [...opens, end]) {
      if (o - from > max && last > from) { out.push(skeleton.slice(from, last)); from = last; }
      last = o;
    }
    out.push(skeleton.slice(from, end));
    start = end + 1;
  }
}

/** Joins short pieces back into alternations up to `max` long: fewer, larger re2js calls. */
function pack(pieces: readonly string[], max: number): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (const p of pieces) {
    if (cur !== undefined && cur.length + 1 + p.length <= max) cur += `|${p}`;
    else { if (cur !== undefined) out.push(cur); cur = p; }
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** Scans one level of `text`; throws Unsplittable on syntax it cannot delimit. */
function outline(text: string): Outline {
  const groups: Group[] = [];
  const bars: number[] = [];
  const stack: Array<{ open: number; from: number; keep: boolean }> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      i = classEnd(text, i);
    } else if (c === '(') {
      stack.push(opening(text, i));
    } else if (c === ')') {
      const o = stack.pop();
      if (o === undefined) throw new Unsplittable();
      if (stack.length === 0) groups.push({ ...o, close: i });
    } else if (c === '|' && stack.length === 0) {
      bars.push(i);
    }
  }
  if (stack.length > 0) throw new Unsplittable();
  return { groups, bars };
}

/** Where a group's contents start, and whether it must stay whole. */
function opening(text: string, i: number): { open: number; from: number; keep: boolean } {
  if (text[i + 1] !== '?') return { open: i, from: i + 1, keep: false };
  const rest = text.slice(i + 2, i + 4);
  if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') return { open: i, from: i + 1, keep: true };
  const named = /^\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(text.slice(i + 1, i + 64));
  if (named !== null) return { open: i, from: i + 1 + named[0].length, keep: false };
  const flags = /^\?[imsU-]*([:)])/.exec(text.slice(i + 1, i + 16));
  if (flags === null) throw new Unsplittable();
  // `(?i)` has no contents: `from` past its `)` marks it to keep.
  return { open: i, from: i + 1 + flags[0].length, keep: flags[1] === ')' };
}

/** The index of the `]` closing the class opened at `i`. */
function classEnd(text: string, i: number): number {
  let j = i + 1;
  if (text[j] === '^') j++;
  if (text[j] === ']') j++;
  for (; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '[' && text[j + 1] === ':') {
      // As RE2 reads it: `[:` starts a named class when a `:]` follows anywhere, and a bad
      // name is an error; without `:]` the `[` is a plain character.
      const end = text.indexOf(':]', j + 2);
      if (end === -1) continue;
      if (!/^\^?[a-z]+$/.test(text.slice(j + 2, end))) throw new Unsplittable();
      j = end + 1;
    } else if (c === ']') return j;
  }
  throw new Unsplittable();
}
