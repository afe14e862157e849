/**
 * One Aho-Corasick automaton over the required literals of many rules (Hyperscan's
 * literal-first idea, ADR 0006): a single pass over a value marks every rule one of whose
 * literals occurs in it. A rule left unmarked by every value it could see cannot match.
 *
 * Unlike `operators/aho-corasick.ts` (first hit, one pattern set) it reports every owner
 * and runs as a dense DFA over an alphabet of character classes: each input character
 * costs one typed-array read, and only characters that occur in some literal get a class.
 * Case folds as in `@pm` and the @rx prefilters: literals through `toLowerCase()`, input
 * ASCII-only, so a rule's own matching and the automaton agree on what "contains" means.
 */

/**
 * @example
 * const a = new LiteralAutomaton([['select', 0], ['union', 0], ['<script', 1]], 2);
 * const hit = new Uint8Array(2); a.scan('1 UNION ALL', hit); hit // Uint8Array [1, 0]
 */
export class LiteralAutomaton {
  /** Number of owners (rule indices) the automaton reports. */
  readonly owners: number;
  /** Character code → class (0: a character no literal contains). */
  readonly #classOf: Uint16Array;
  readonly #classes: number;
  /**
   * Dense transitions: row + class → (next row << 1) | accepting, where a state's row is
   * state * classes. Storing rows and the accepting bit in the table keeps the inner loop to
   * one typed-array read per character, with no multiply and no second lookup (ADR 0016).
   */
  readonly #delta: Int32Array;
  /** Per state: the owners whose literal ends here (fail-link closure), or undefined. */
  readonly #out: Array<Int32Array | undefined>;
  /**
   * The character sets of the literals (`charBits`, four words each), none a superset of
   * another, or undefined when there are too many for the test to be cheaper than a scan.
   */
  readonly #needs: Uint32Array | undefined;

  constructor(literals: ReadonlyArray<readonly [literal: string, owner: number]>, owners: number) {
    this.owners = owners;
    const classOf = new Uint16Array(65536);
    let classes = 1;
    const lowered = literals.filter(([l]) => l !== '').map(([l, o]) => [l.toLowerCase(), o] as const);
    for (const [l] of lowered) {
      for (let i = 0; i < l.length; i++) {
        const c = l.charCodeAt(i);
        if (classOf[c] === 0) classOf[c] = classes++;
      }
    }
    // The input is folded ASCII-only: upper-case letters share their lower-case class.
    for (let c = 65; c <= 90; c++) classOf[c] = classOf[c + 32]!;
    // Trie first, with sparse children; then BFS fills failure links and the dense table.
    const children: Array<Map<number, number>> = [new Map()];
    const ends: Array<Set<number>> = [new Set()];
    for (const [l, owner] of lowered) {
      let s = 0;
      for (let i = 0; i < l.length; i++) {
        const k = classOf[l.charCodeAt(i)]!;
        let n = children[s]!.get(k);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          ends.push(new Set());
          children[s]!.set(k, n);
        }
        s = n;
      }
      ends[s]!.add(owner);
    }
    const states = children.length;
    const delta = new Int32Array(states * classes);
    const fail = new Int32Array(states);
    const out: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(states);
    const queue: number[] = [];
    for (let k = 1; k < classes; k++) {
      const n = children[0]!.get(k);
      if (n !== undefined) { delta[k] = n; queue.push(n); }
    }
    out[0] = undefined;
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      const f = fail[s]!;
      const merged = new Set(ends[s]);
      const inherited = out[f];
      if (inherited !== undefined) for (const o of inherited) merged.add(o);
      out[s] = merged.size === 0 ? undefined : Int32Array.from(merged);
      for (let k = 1; k < classes; k++) {
        const n = children[s]!.get(k);
        if (n !== undefined) {
          fail[n] = delta[f * classes + k]!;
          delta[s * classes + k] = n;
          queue.push(n);
        } else {
          delta[s * classes + k] = delta[f * classes + k]!;
        }
      }
    }
    for (let i = 0; i < delta.length; i++) {
      const next = delta[i]!;
      delta[i] = ((next * classes) << 1) | (out[next] === undefined ? 0 : 1);
    }
    this.#needs = literalNeeds(lowered.map(([l]) => l));
    this.#classOf = classOf;
    this.#classes = classes;
    this.#delta = delta;
    this.#out = out;
  }

  /**
   * Marks `hit[owner] = 1` for every owner with a literal in `text`; returns how many
   * owners it newly marked, so a caller can stop once all are marked.
   */
  scan(text: string, hit: Uint8Array): number {
    const classOf = this.#classOf;
    const delta = this.#delta;
    const classes = this.#classes;
    const out = this.#out;
    let row = 0;
    let marked = 0;
    for (let i = 0; i < text.length; i++) {
      const v = delta[row + classOf[text.charCodeAt(i)]!]!;
      row = v >> 1;
      if ((v & 1) === 0) continue;
      const o = out[row / classes]!;
      for (let j = 0; j < o.length; j++) {
        const r = o[j]!;
        if (hit[r] === 0) { hit[r] = 1; marked++; }
      }
    }
    return marked;
  }

  /**
   * False when no literal can occur in a text with these characters (`charBits`): every
   * character of a literal it contains is among them. A sound, cheap first test (ADR 0016,
   * round 2): most benign values lack some character of every literal of a group.
   */
  mayContain(bits: Uint32Array): boolean {
    const needs = this.#needs;
    if (needs === undefined) return true;
    const b0 = bits[0]!, b1 = bits[1]!, b2 = bits[2]!, b3 = bits[3]!;
    for (let i = 0; i < needs.length; i += 4) {
      if (((needs[i]! & ~b0) | (needs[i + 1]! & ~b1) | (needs[i + 2]! & ~b2) | (needs[i + 3]! & ~b3)) === 0) return true;
    }
    return false;
  }

  /** How much memory the transition table holds, for the load report. */
  get tableBytes(): number {
    return this.#delta.byteLength;
  }
}

/** Beyond this many minimal character sets the subset test costs about as much as a scan. */
const MAX_NEEDS = 48;

/**
 * The characters of a text as a 128-bit set (four words), folded as the automaton folds
 * its input (ASCII letters to lower case); every character above U+007F counts as U+0000.
 * Merging characters only makes `mayContain` say yes more often, never wrongly no.
 *
 * @example charBits('Ab')[3] === ((1 << 1) | (1 << 2)) // 'a' and 'b': codes 97, 98
 */
export function charBits(text: string, into: Uint32Array = new Uint32Array(4)): Uint32Array {
  into.fill(0);
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 128) c = 0;
    else if (c >= 65 && c <= 90) c += 32;
    into[c >> 5]! |= 1 << (c & 31);
  }
  return into;
}

function literalNeeds(literals: readonly string[]): Uint32Array | undefined {
  const sets: Uint32Array[] = [];
  for (const l of new Set(literals)) sets.push(charBits(l));
  const within = (a: Uint32Array, b: Uint32Array): boolean => ((a[0]! & ~b[0]!) | (a[1]! & ~b[1]!) | (a[2]! & ~b[2]!) | (a[3]! & ~b[3]!)) === 0;
  // A set containing another is implied by it: a text with the larger has the smaller.
  const minimal = sets.filter((s, i) => !sets.some((t, j) => j !== i && within(t, s) && (!within(s, t) || j < i)));
  if (minimal.length > MAX_NEEDS) return undefined;
  const out = new Uint32Array(minimal.length * 4);
  minimal.forEach((s, i) => out.set(s, i * 4));
  return out;
}
