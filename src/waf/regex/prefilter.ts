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
 */
import { AhoCorasick } from '../operators/aho-corasick.js';
import type { CompiledRegex } from './engine.js';

/** What is known of the strings a sub-pattern matches. */
interface Info {
  /** Every string it can match, when few (lower-cased); undefined when unknown or too many. */
  readonly exact: ReadonlySet<string> | undefined;
  /** Every match contains one of these (lower-cased); undefined when nothing is required. */
  readonly required: ReadonlySet<string> | undefined;
}

const MAX_EXACT = 16;
const MAX_EXACT_LENGTH = 24;
const MAX_REQUIRED = 512;

const ANY: Info = { exact: undefined, required: undefined };
const EMPTY: Info = { exact: new Set(['']), required: undefined };

class Unsupported extends Error {}

const exactOf = (strings: Iterable<string>): Info => {
  const exact = new Set(strings);
  return { exact, required: exact.has('') ? undefined : exact };
};

/** A required set from what is known: the exact set when it excludes '', else `required`. */
function requirement(info: Info): ReadonlySet<string> | undefined {
  if (info.exact !== undefined && !info.exact.has('')) return info.exact;
  return info.required;
}

/** Prefer the requirement whose shortest literal is longest (fewer false passes), then the smaller set. */
function better(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const minA = Math.min(...[...a].map((s) => s.length));
  const minB = Math.min(...[...b].map((s) => s.length));
  if (minA !== minB) return minA > minB ? a : b;
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

function concat(parts: readonly Info[]): Info {
  let run: ReadonlySet<string> | undefined = new Set(['']);
  let best: ReadonlySet<string> | undefined;
  let exactAll = true;
  for (const p of parts) {
    if (p.exact !== undefined && run !== undefined) {
      const next = cross(run, p.exact);
      if (next !== undefined) { run = next; continue; }
    }
    // The run of exactly known strings ends here: it is one candidate requirement.
    exactAll = false;
    if (run !== undefined && !run.has('')) best = better(best, run);
    best = better(best, requirement(p));
    run = p.exact;
  }
  if (exactAll && run !== undefined) return exactOf(run);
  if (run !== undefined && !run.has('')) best = better(best, run);
  return { exact: undefined, required: best };
}

function alternate(branches: readonly Info[]): Info {
  if (branches.every((b) => b.exact !== undefined)) {
    const all = new Set<string>();
    for (const b of branches) for (const s of b.exact!) all.add(s);
    if (all.size <= MAX_EXACT) return exactOf(all);
  }
  const required = new Set<string>();
  for (const b of branches) {
    const r = requirement(b);
    if (r === undefined) return ANY;
    for (const s of r) required.add(s);
  }
  return required.size > MAX_REQUIRED ? ANY : { exact: undefined, required };
}

function repeat(inner: Info, min: number, max: number): Info {
  if (min === 0) {
    // Optional: it may match nothing, so it requires nothing.
    if (max === 1 && inner.exact !== undefined && inner.exact.size < MAX_EXACT) return exactOf([...inner.exact, '']);
    return ANY;
  }
  if (min === 1 && max === 1) return inner;
  if (min === max && inner.exact !== undefined && min <= 4) {
    let out: ReadonlySet<string> | undefined = new Set(['']);
    for (let i = 0; i < min && out !== undefined; i++) out = cross(out, inner.exact);
    if (out !== undefined) return exactOf(out);
  }
  return { exact: undefined, required: requirement(inner) };
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

  /** A bracket expression: a few plain characters stay exact, anything else matches "some character". */
  #charClass(): Info {
    const s = this.src;
    let i = this.#i + 1;
    const negated = s[i] === '^';
    if (negated) i++;
    const chars = new Set<string>();
    let simple = !negated;
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
        simple = false;
        continue;
      }
      let ch = c;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) throw new Unsupported('trailing backslash');
        if ('dDwWsShHvVpP'.includes(e)) {
          simple = false;
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
        // A range: skip its upper bound (possibly escaped) and give up exactness.
        i += 1;
        if (s[i] === '\\') { this.#i = i + 2; this.#escapedChar(s[i + 1]!); i = this.#i; } else i++;
        simple = false;
        continue;
      }
      chars.add(lowerChar(ch));
    }
    this.#i = i;
    return simple && chars.size > 0 && chars.size <= 4 ? exactOf(chars) : ANY;
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
  const r = requirement(info);
  if (r === undefined || r.size === 0 || r.has('')) return undefined;
  // Case folding is compared ASCII-only on both sides; a non-ASCII literal could fold differently.
  for (const lit of r) if (/[^\x00-\x7f]/.test(lit)) return undefined;
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
