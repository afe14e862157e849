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
import { runSteps, type Steps } from '../steps.js';

/** The tables of an automaton, built by buildTables (exported only for the constructor's signature). */
export interface AutomatonTables {
  readonly classOf: Uint16Array;
  readonly classes: number;
  readonly delta: Int32Array;
  readonly out: Array<Int32Array | undefined>;
}

/**
 * Work (trie characters, table entries) between two yields of buildTables: a few ms at most on
 * a loaded machine, so a reload that builds CRS's automata in slices never holds the event loop
 * for a whole large one (the phase-2 group of untransformed rules was the longest slice, ADR 0031).
 */
const WORK_PER_STEP = 1 << 17;

/** The automaton's tables, yielding every WORK_PER_STEP units of work. */
function* buildTables(literals: ReadonlyArray<readonly [literal: string, owner: number]>): Steps<AutomatonTables> {
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
  let work = 0;
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
    work += l.length * 8;
    if (work >= WORK_PER_STEP) { work = 0; yield; }
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
    // The row starts as a copy of the failure state's (complete: it is shallower, BFS order),
    // then the state's own children replace their entries.
    delta.copyWithin(s * classes, f * classes, f * classes + classes);
    for (const [k, n] of children[s]!) {
      fail[n] = delta[f * classes + k]!;
      delta[s * classes + k] = n;
      queue.push(n);
    }
    work += classes + 32;
    if (work >= WORK_PER_STEP) { work = 0; yield; }
  }
  for (let i = 0; i < delta.length; i++) {
    const next = delta[i]!;
    delta[i] = ((next * classes) << 1) | (out[next] === undefined ? 0 : 1);
    if ((i & (WORK_PER_STEP - 1)) === WORK_PER_STEP - 1) yield;
  }
  return { classOf, classes, delta, out };
}

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

  /** `tables` comes from LiteralAutomaton.steps; without it the tables are built at once. */
  constructor(literals: ReadonlyArray<readonly [literal: string, owner: number]>, owners: number, tables: AutomatonTables = runSteps(buildTables(literals))) {
    this.owners = owners;
    this.#classOf = tables.classOf;
    this.#classes = tables.classes;
    this.#delta = tables.delta;
    this.#out = tables.out;
  }

  /**
   * The same automaton, built in steps (a generator yielding between bounded pieces of work):
   * for a compile in slices (ADR 0026, 0031).
   *
   * @example
   * const steps = LiteralAutomaton.steps([['union', 0]], 1); let s = steps.next(); while (!s.done) s = steps.next(); s.value.owners // 1
   */
  static *steps(literals: ReadonlyArray<readonly [literal: string, owner: number]>, owners: number): Steps<LiteralAutomaton> {
    const tables = yield* buildTables(literals);
    return new LiteralAutomaton(literals, owners, tables);
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

  /** How much memory the transition table holds, for the load report. */
  get tableBytes(): number {
    return this.#delta.byteLength;
  }
}

