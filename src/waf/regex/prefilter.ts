/**
 * Literal prefilters for @rx (the idea of RE2's prefilter and of Hyperscan's literal
 * matching): from a pattern, a set of lower-case strings such that every match contains at
 * least one of them. When a (lower-cased) input contains none, the pattern cannot match
 * and the regex engine is not run. Most CRS patterns need a keyword (`select`, `<script`,
 * `/etc/`) that benign values lack, and a substring search is far cheaper than an automaton.
 *
 * The analysis must never be wrong in the unsafe direction (claim a literal a match could
 * lack). So it is conservative: anything it does not fully understand gives "no
 * requirement" for that part, and syntax it cannot delimit gives no prefilter at all.
 * Case is ignored on both sides (literals and input are lower-cased), which only widens
 * the set of inputs that pass the filter.
 *
 * Optional parts are bridged (ADR 0016): in `b["')\[\\]*u["')\[\\]*s` every match either
 * has all the optional parts empty, and then contains `bus`, or has one non-empty, and then
 * contains one of its characters. So the pattern requires `bus` or one of `"`, `'`, `)`, `[`,
 * `\`: far rarer in benign text than the single letters the parts alone would give (CRS's
 * command-injection patterns interleave every letter of a command name with such parts).
 */
import { AhoCorasick } from '../operators/aho-corasick.js';
import type { CompiledRegex } from './engine.js';

/** What is known of the strings a sub-pattern matches. */
interface Info {
  /** Every string it can match, when few (lower-cased); undefined when unknown or too many. */
  readonly exact: ReadonlySet<string> | undefined;
  /** Every match contains one of these (lower-cased); undefined when nothing is required. */
  readonly required: ReadonlySet<string> | undefined;
  /**
   * Every non-empty match contains one of these (empty when it only matches ''); undefined
   * when unknown. Lets a concatenation bridge an optional part instead of stopping at it.
   */
  readonly nonEmpty: ReadonlySet<string> | undefined;
}

const MAX_EXACT = 16;
const MAX_EXACT_LENGTH = 24;
const MAX_REQUIRED = 512;
/** A requirement costing more than this (`literalCost`: a dozen single letters) is not worth checking. */
const MAX_USEFUL_COST = 6;
/** How many parts after its first a window of a concatenation may span. */
const MAX_WINDOW = 64;
/** A character class of at most this many characters is a requirement (any one of them). */
const MAX_CLASS = 32;

const ANY: Info = { exact: undefined, required: undefined, nonEmpty: undefined };
const NONE: ReadonlySet<string> = new Set();
const EMPTY: Info = { exact: new Set(['']), required: undefined, nonEmpty: NONE };

class Unsupported extends Error {}

const exactOf = (strings: Iterable<string>): Info => {
  const exact = new Set(strings);
  const nonEmpty = new Set(exact);
  nonEmpty.delete('');
  return { exact, required: exact.has('') ? undefined : exact, nonEmpty };
};

/** A required set from what is known: the exact set when it excludes '', else `required`. */
function requirement(info: Info): ReadonlySet<string> | undefined {
  if (info.exact !== undefined && !info.exact.has('')) return info.exact;
  return info.required;
}

/** What every non-empty match contains, from whatever is known. */
function nonEmptyOf(info: Info): ReadonlySet<string> | undefined {
  return info.nonEmpty ?? requirement(info);
}

/**
 * How likely a benign value is to contain the literal, roughly: any given letter or digit
 * is in half of them, spaces and common punctuation (`.`, `,`, `-`, `/`) in many, quotes
 * and brackets in few, the rest (`;`, `|`, `$`, `<`, `\\`) rarely; each further character
 * makes a literal rarer. A set costs the sum of its members. Only used to pick between
 * sound candidates, so it needs to be plausible, not exact.
 */
function literalCost(l: string): number {
  let c = 1;
  for (let i = 0; i < l.length; i++) {
    const ch = l.charCodeAt(i);
    if (ch > 0x7f) {
      if (!caseless(l[i]!)) return Infinity; // folding is ASCII-only: such a literal cannot be used
      c *= 0.01;
      if (i > 0) c *= 0.4;
      continue;
    }
    if ((ch >= 0x61 && ch <= 0x7a) || (ch >= 0x30 && ch <= 0x39)) c *= 0.5;
    else if (' .,-_/:'.includes(l[i]!)) c *= 0.3;
    else if ('\'"()'.includes(l[i]!)) c *= 0.05;
    else c *= 0.01;
    if (i > 0) c *= 0.4;
  }
  return c;
}

/**
 * A character outside ASCII that no case folding can change (`¼`, `¾`, `\\xa0`): matched as is
 * by the engine under `(?i)` too, so it may be a literal even though folding is ASCII-only.
 */
function caseless(ch: string): boolean {
  return ch.toLowerCase() === ch && ch.toUpperCase() === ch;
}

function setCost(s: ReadonlySet<string>): number {
  let c = 0;
  for (const l of s) c += literalCost(l);
  return c;
}

/** The cheaper requirement (least likely to be found in benign input), then the smaller set. */
function better(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const ca = setCost(a);
  const cb = setCost(b);
  if (ca !== cb) return ca < cb ? a : b;
  return a.size <= b.size ? a : b;
}

function cross(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> | undefined {
  if (a.size * b.size > MAX_EXACT) return undefined;
  const out = new Set<string>();
  for (const x of a) for (const y of b) {
    if (x.length + y.length > MAX_EXACT_LENGTH) return undefined;
    out.add(x + y);
  }
  return out;
}

function union(...sets: ReadonlyArray<ReadonlySet<string>>): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const x of s) out.add(x);
  return out;
}

/** Drops literals that contain another member: an input containing the longer one contains the shorter. */
export function minimise(set: ReadonlySet<string>): ReadonlySet<string> {
  const list = [...set].sort((x, y) => x.length - y.length);
  const kept: string[] = [];
  for (const l of list) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept.length === set.size ? set : new Set(kept);
}

function concat(parts: readonly Info[]): Info {
  // All parts exactly known and few: the whole sequence is exactly known.
  let all: ReadonlySet<string> | undefined = new Set(['']);
  for (const p of parts) {
    all = p.exact === undefined || all === undefined ? undefined : cross(all, p.exact);
    if (all === undefined) break;
  }
  if (all !== undefined) return exactOf(all);
  // Otherwise windows of consecutive parts, each starting on a part that cannot be empty:
  // `run` holds what the window matches when every bridged part is empty, `bridged` what a
  // non-empty bridged part contains. Every window is a sound candidate (a match contains a
  // match of the window); the cheapest wins, as does a part's own requirement.
  let best: ReadonlySet<string> | undefined;
  for (const p of parts) if (p.exact === undefined) best = better(best, requirement(p));
  for (let start = 0; start < parts.length; start++) {
    const first = parts[start]!;
    if (first.exact === undefined || first.exact.has('')) continue;
    let run: ReadonlySet<string> = first.exact;
    const bridged = new Set<string>();
    best = better(best, run);
    for (let j = start + 1; j < parts.length && j <= start + MAX_WINDOW; j++) {
      const p = parts[j]!;
      if (p.exact !== undefined) {
        const next = cross(run, p.exact);
        if (next !== undefined) { run = next; best = better(best, minimise(union(run, bridged))); continue; }
        if (!p.exact.has('')) break; // too many combinations: a later window starts here
      }
      const ne = nonEmptyOf(p);
      if (ne === undefined || bridged.size + ne.size > MAX_REQUIRED) break;
      for (const s of ne) if (s !== '') bridged.add(s);
    }
  }
  let nonEmpty: Set<string> | undefined = new Set();
  for (const p of parts) {
    const ne = nonEmptyOf(p);
    if (ne === undefined || nonEmpty.size + ne.size > MAX_REQUIRED) { nonEmpty = undefined; break; }
    for (const s of ne) nonEmpty.add(s);
  }
  return { exact: undefined, required: best, nonEmpty: better(best, nonEmpty === undefined ? undefined : minimise(nonEmpty)) };
}

function alternate(branches: readonly Info[]): Info {
  if (branches.every((b) => b.exact !== undefined)) {
    const all = new Set<string>();
    for (const b of branches) for (const s of b.exact!) all.add(s);
    if (all.size <= MAX_EXACT) return exactOf(all);
  }
  const gather = (of: (b: Info) => ReadonlySet<string> | undefined): ReadonlySet<string> | undefined => {
    const out = new Set<string>();
    for (const b of branches) {
      const r = of(b);
      if (r === undefined) return undefined;
      for (const s of r) out.add(s);
    }
    const m = out.size > MAX_REQUIRED ? minimise(out) : out;
    return m.size > MAX_REQUIRED ? undefined : m;
  };
  return { exact: undefined, required: gather(requirement), nonEmpty: gather(nonEmptyOf) };
}

function repeat(inner: Info, min: number, max: number): Info {
  if (min === 0) {
    // Optional: it may match nothing, so it requires nothing; a non-empty match still
    // consists of non-empty matches of the inner part.
    if (max === 1 && inner.exact !== undefined && inner.exact.size < MAX_EXACT) return exactOf([...inner.exact, '']);
    return { exact: undefined, required: undefined, nonEmpty: nonEmptyOf(inner) };
  }
  if (min === 1 && max === 1) return inner;
  if (min === max && inner.exact !== undefined && min <= 4) {
    let out: ReadonlySet<string> | undefined = new Set(['']);
    for (let i = 0; i < min && out !== undefined; i++) out = cross(out, inner.exact);
    if (out !== undefined) return exactOf(out);
  }
  // At least `min` copies in a row: a match contains one of the min-fold products.
  let run: ReadonlySet<string> | undefined = inner.exact === undefined || inner.exact.has('') ? undefined : inner.exact;
  for (let i = 1; i < Math.min(min, 4) && run !== undefined; i++) run = cross(run, inner.exact!);
  const required = better(requirement(inner), run);
  return { exact: undefined, required, nonEmpty: required ?? nonEmptyOf(inner) };
}

// ASCII-only folding, the same the automaton applies to inputs.
const lowerChar = (c: string): string => (c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c);

/** A recursive-descent reader of the PCRE subset SecLang patterns use. */
class Reader {
  #i = 0;
  readonly src: string;
  constructor(src: string) { this.src = src; }

  parse(): Info {
    const info = this.#alternation();
    if (this.#i !== this.src.length) throw new Unsupported(`unexpected ')' at ${this.#i}`);
    return info;
  }

  #alternation(): Info {
    const branches = [this.#sequence()];
    while (this.src[this.#i] === '|') {
      this.#i++;
      branches.push(this.#sequence());
    }
    return branches.length === 1 ? branches[0]! : alternate(branches);
  }

  #sequence(): Info {
    const parts: Info[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== '|' && this.src[this.#i] !== ')') {
      const atom = this.#atom();
      parts.push(this.#quantified(atom));
    }
    return parts.length === 0 ? EMPTY : concat(parts);
  }

  #quantified(atom: Info): Info {
    const s = this.src;
    let min: number;
    let max: number;
    const c = s[this.#i];
    if (c === '*') { min = 0; max = Infinity; this.#i++; }
    else if (c === '+') { min = 1; max = Infinity; this.#i++; }
    else if (c === '?') { min = 0; max = 1; this.#i++; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.#i));
      if (m === null) return atom; // not a quantifier: '{' is read as a literal by the next #atom
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.#i += m[0].length;
    } else return atom;
    // Lazy and possessive variants match the same set of strings for our purposes.
    if (s[this.#i] === '?' || s[this.#i] === '+') this.#i++;
    return this.#quantified(repeat(atom, min, max));
  }

  #atom(): Info {
    const s = this.src;
    const c = s[this.#i]!;
    if (c === '(') return this.#group();
    if (c === '[') return this.#charClass();
    if (c === '\\') return this.#escape();
    this.#i++;
    if (c === '.') return ANY;
    if (c === '^' || c === '$') return EMPTY;
    if (c === '*' || c === '+' || c === '?') throw new Unsupported('quantifier without operand');
    if (c === '{' && /^\d+(,\d*)?\}/.test(s.slice(this.#i))) throw new Unsupported('quantifier without operand');
    return exactOf([lowerChar(c)]);
  }

  #group(): Info {
    const s = this.src;
    this.#i++; // (
    let zeroWidth = false;
    if (s[this.#i] === '?') {
      const rest = s.slice(this.#i + 1);
      let m: RegExpExecArray | null;
      if (rest.startsWith(':') || rest.startsWith('>')) this.#i += 2;
      else if (rest.startsWith('=') || rest.startsWith('!')) { this.#i += 2; zeroWidth = true; }
      else if (rest.startsWith('<=') || rest.startsWith('<!')) { this.#i += 3; zeroWidth = true; }
      else if ((m = /^(P?<[A-Za-z_]\w*>|'[A-Za-z_]\w*')/.exec(rest)) !== null) this.#i += 1 + m[0].length;
      else if ((m = /^[imsxU-]+([:)])/.exec(rest)) !== null) {
        // Inline flags: case is already ignored; (?x) would change how the pattern reads.
        if (m[0].includes('x')) throw new Unsupported('extended mode');
        this.#i += 1 + m[0].length;
        if (m[1] === ')') return EMPTY;
      } else throw new Unsupported(`group syntax (?${rest.slice(0, 3)}`);
    }
    const inner = this.#alternation();
    if (s[this.#i] !== ')') throw new Unsupported('unclosed group');
    this.#i++;
    return zeroWidth ? EMPTY : inner;
  }

  #escape(): Info {
    const s = this.src;
    const c = s[this.#i + 1];
    if (c === undefined) throw new Unsupported('trailing backslash');
    this.#i += 2;
    if ('bBAzZGK'.includes(c)) return EMPTY;
    if ('dDwWsShHvVRNXpPC'.includes(c)) {
      if ((c === 'p' || c === 'P') && s[this.#i] === '{') {
        const end = s.indexOf('}', this.#i);
        if (end === -1) throw new Unsupported('\\p without }');
        this.#i = end + 1;
      } else if (c === 'p' || c === 'P') this.#i++;
      return ANY;
    }
    const ch = this.#escapedChar(c);
    return exactOf([lowerChar(ch)]);
  }

  /** The character an escape stands for (after `\` and `c` were read). */
  #escapedChar(c: string): string {
    const s = this.src;
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'f': return '\f';
      case 'e': return '\x1b';
      case 'a': return '\x07';
      case 'x': {
        if (s[this.#i] === '{') {
          const end = s.indexOf('}', this.#i);
          if (end === -1) throw new Unsupported('\\x{ without }');
          const code = parseInt(s.slice(this.#i + 1, end), 16);
          this.#i = end + 1;
          if (!Number.isFinite(code)) throw new Unsupported('bad \\x{}');
          return String.fromCodePoint(code);
        }
        const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(this.#i));
        if (m === null) return '\0';
        this.#i += m[0].length;
        return String.fromCharCode(parseInt(m[0], 16));
      }
      default:
        // Digits are back-references or octal, \Q..\E quotes, \c controls: not worth the risk.
        if (/[0-9A-Za-z]/.test(c)) throw new Unsupported(`escape \\${c}`);
        return c;
    }
  }

  /**
   * A bracket expression: a few plain characters stay exact; up to MAX_CLASS characters
   * (ranges counted out) are a requirement (any one of them); anything else (negated, `\w`,
   * large ranges) matches "some character".
   */
  #charClass(): Info {
    const s = this.src;
    let i = this.#i + 1;
    const negated = s[i] === '^';
    if (negated) i++;
    const chars = new Set<string>();
    let enumerable = !negated;
    let first = true;
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Unsupported('unclosed character class');
      if (c === ']' && !first) { i++; break; }
      first = false;
      if (c === '[' && s[i + 1] === ':') {
        const end = s.indexOf(':]', i + 2);
        if (end === -1) throw new Unsupported('bad POSIX class');
        i = end + 2;
        enumerable = false;
        continue;
      }
      let ch = c;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) throw new Unsupported('trailing backslash');
        if ('dDwWsShHvVpP'.includes(e)) {
          enumerable = false;
          i += 2;
          if ((e === 'p' || e === 'P') && s[i] === '{') i = s.indexOf('}', i) + 1;
          else if (e === 'p' || e === 'P') i++;
          if (i === 0) throw new Unsupported('\\p without }');
          continue;
        }
        this.#i = i + 2;
        ch = e === 'b' ? '\b' : this.#escapedChar(e);
        i = this.#i;
      } else i++;
      if (s[i] === '-' && s[i + 1] !== ']' && s[i + 1] !== undefined) {
        // A range: counted out when small, and never exact.
        i += 1;
        let hi: string;
        if (s[i] === '\\') { this.#i = i + 2; hi = this.#escapedChar(s[i + 1]!); i = this.#i; } else hi = s[i++]!;
        const lo = ch.codePointAt(0)!;
        const top = hi.codePointAt(0)!;
        if (top < lo || top - lo + 1 > MAX_CLASS) { enumerable = false; continue; }
        for (let k = lo; k <= top; k++) chars.add(lowerChar(String.fromCodePoint(k)));
        continue;
      }
      chars.add(lowerChar(ch));
    }
    this.#i = i;
    if (enumerable && chars.size > 0 && chars.size <= 4) return exactOf(chars);
    if (enumerable && chars.size > 0 && chars.size <= MAX_CLASS) return { exact: undefined, required: chars, nonEmpty: chars };
    return ANY;
  }
}

/**
 * The strings of which every match of `pattern` contains one (lower-cased), or undefined
 * when no useful set is known (the regex must always run).
 *
 * @example
 * requiredLiterals('(?i)union\\s+select') // Set { 'select' } (or 'union')
 * requiredLiterals('^\\d+$')               // undefined
 */
export function requiredLiterals(pattern: string): ReadonlySet<string> | undefined {
  let info: Info;
  try {
    info = new Reader(pattern).parse();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  const found = requirement(info);
  if (found === undefined || found.size === 0 || found.has('')) return undefined;
  const r = minimise(found);
  // A set most values contain (a dozen single letters) only adds scanning work.
  if (setCost(r) > MAX_USEFUL_COST) return undefined;
  // Case folding is compared ASCII-only on both sides; a non-ASCII literal could fold differently.
  for (const lit of r) for (const ch of lit) if (ch > '\x7f' && !caseless(ch)) return undefined;
  return r;
}

/** Up to this many literals are looked for one by one (the engine's substring search); more go through one automaton. */
const DIRECT_SEARCH_MAX = 4;

/**
 * Wraps a compiled pattern so that inputs lacking every required literal answer "no match"
 * without running the regex engine. Answers are unchanged: only inputs that cannot match skip.
 *
 * @example
 * const re = withPrefilter(engine.compile(p), requiredLiterals(p));
 */
export function withPrefilter(re: CompiledRegex, literals: ReadonlySet<string> | undefined): CompiledRegex {
  if (literals === undefined) return re;
  let mayMatch: (input: string) => boolean;
  if (literals.size <= DIRECT_SEARCH_MAX) {
    const list = [...literals];
    mayMatch = (input) => {
      const lower = input.toLowerCase();
      for (const lit of list) if (lower.includes(lit)) return true;
      return false;
    };
  } else {
    const ac = new AhoCorasick([...literals]);
    mayMatch = (input) => ac.search(input) !== undefined;
  }
  const test = re.test;
  return {
    exec: (input) => (mayMatch(input) ? re.exec(input) : null),
    test: (input) => mayMatch(input) && (test !== undefined ? test(input) : re.exec(input) !== null),
  };
}
