import { emptyBaseline, isWarm, updateBaseline } from './robust.js';
import { distinctIds, type ClientWindow, type OperationBaselines } from './state.js';

/**
 * What a client window of each operation usually holds across all clients: the fallback for
 * clients whose own baseline is still warming up (a new API key scraping on its first day is
 * judged against everyone else). Kept in process memory: one entry per operation of the
 * configuration (bounded by it) plus '*' for per-client totals.
 */
export class PopulationBaselines {
  readonly #byOp = new Map<string, OperationBaselines>();
  readonly #alpha: number;
  readonly #warmup: number;
  readonly #maxOps: number;

  constructor(opts: { alpha: number; warmup: number; maxOps?: number }) {
    this.#alpha = opts.alpha;
    this.#warmup = opts.warmup;
    this.#maxOps = opts.maxOps ?? 4096;
  }

  #entry(op: string): OperationBaselines | undefined {
    let e = this.#byOp.get(op);
    if (e === undefined) {
      if (this.#byOp.size >= this.#maxOps) return undefined;
      e = { rec: emptyBaseline(), by: emptyBaseline(), ids: emptyBaseline(), e4: emptyBaseline(), n: emptyBaseline() };
      this.#byOp.set(op, e);
    }
    return e;
  }

  /** Folds one closed client window in. @example pop.learn(state.cur); */
  learn(c: ClientWindow): void {
    // The population learns slower than a client (alpha / 4): one client must not define "everyone".
    const a = this.#alpha / 4;
    const all = this.#entry('*');
    if (all !== undefined) {
      all.n = updateBaseline(all.n, c.n, a, this.#warmup, 1);
      all.e4 = updateBaseline(all.e4, c.e4, a, this.#warmup, 1);
      all.ids = updateBaseline(all.ids, distinctIds(c), a, this.#warmup, 1);
    }
    for (const [op, w] of Object.entries(c.op)) {
      const e = this.#entry(op);
      if (e === undefined) continue;
      e.rec = updateBaseline(e.rec, w.rec, a, this.#warmup, 1);
      e.by = updateBaseline(e.by, w.by, a, this.#warmup, 1024);
    }
  }

  /** The baselines of an operation ('*': per-client totals). @example pop.of('listOrders'); */
  of(op: string): OperationBaselines | undefined {
    return this.#byOp.get(op);
  }

  /** Operations with a warm baseline, for the admin view. @example pop.warmOperations(); */
  warmOperations(): string[] {
    return [...this.#byOp.entries()].filter(([, e]) => isWarm(e.n, this.#warmup) || isWarm(e.rec, this.#warmup)).map(([op]) => op);
  }
}
