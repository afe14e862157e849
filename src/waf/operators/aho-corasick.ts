/**
 * Aho–Corasick multi-pattern search, written here rather than taken from npm:
 * @pm lists run against every argument of every request, the automaton must be
 * built once at load and searched in one linear pass, case-insensitively over
 * byte strings, and the packages found either allocate per search or are
 * unmaintained. It is ~60 lines.
 */
import { runSteps, type Steps } from '../steps.js';

interface Node {
  next: Map<number, number>;
  fail: number;
  out: string | undefined;
}

/** Characters inserted, or states linked, between two yields of AhoCorasick.steps. */
const STEP_WORK = 8192;

/**
 * @example
 * new AhoCorasick(['foo', 'bar']).search('xxBARxx') // 'bar'
 */
export class AhoCorasick {
  readonly #nodes: Node[] = [{ next: new Map(), fail: 0, out: undefined }];

  constructor(patterns: readonly string[]) {
    runSteps(this.#build(patterns));
  }

  /**
   * The automaton built with a yield every STEP_WORK characters or states: CRS's
   * php-errors.data (2,100 phrases) is ~25 ms in one go (a reload's slices, ADR 0039).
   *
   * @example
   * const ac = runSteps(AhoCorasick.steps(['foo', 'bar']))
   */
  static *steps(patterns: readonly string[]): Steps<AhoCorasick> {
    const ac = new AhoCorasick([]);
    yield* ac.#build(patterns);
    return ac;
  }

  *#build(patterns: readonly string[]): Steps<void> {
    let work = 0;
    for (const p of patterns) {
      if (p === '') continue;
      const lp = p.toLowerCase();
      let s = 0;
      for (let i = 0; i < lp.length; i++) {
        const c = lp.charCodeAt(i);
        let n = this.#nodes[s]!.next.get(c);
        if (n === undefined) {
          n = this.#nodes.length;
          this.#nodes.push({ next: new Map(), fail: 0, out: undefined });
          this.#nodes[s]!.next.set(c, n);
        }
        s = n;
      }
      this.#nodes[s]!.out = lp;
      work += lp.length;
      if (work >= STEP_WORK) { work = 0; yield; }
    }
    const queue: number[] = [...this.#nodes[0]!.next.values()];
    for (let q = 0; q < queue.length; q++) {
      const node = this.#nodes[queue[q]!]!;
      for (const [c, n] of node.next) {
        let f = node.fail;
        while (f !== 0 && !this.#nodes[f]!.next.has(c)) f = this.#nodes[f]!.fail;
        const target = this.#nodes[f]!.next.get(c);
        const child = this.#nodes[n]!;
        child.fail = target !== undefined && target !== n ? target : 0;
        if (child.out === undefined) child.out = this.#nodes[child.fail]!.out;
        queue.push(n);
      }
      if (++work >= STEP_WORK) { work = 0; yield; }
    }
  }

  /** Returns the first pattern found (lowercased), or undefined. */
  search(text: string): string | undefined {
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      while (s !== 0 && !this.#nodes[s]!.next.has(c)) s = this.#nodes[s]!.fail;
      s = this.#nodes[s]!.next.get(c) ?? 0;
      const out = this.#nodes[s]!.out;
      if (out !== undefined) return out;
    }
    return undefined;
  }
}
