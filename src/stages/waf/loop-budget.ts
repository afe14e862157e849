import { performance } from 'node:perf_hooks';

/**
 * How much WAF inspection one turn of the event loop may run before the rest waits for a
 * later turn (ADR 0026). One inspection is short (a browser GET: ~1.6 ms of CPU under CRS v4
 * on a quiet machine), but the requests that arrive together are read in the same turn, and ten
 * of them back to back held the loop for 16 ms plus everything else that turn did: the worst
 * event-loop delay with a GET load alone was inspections queued in one turn, not one long one.
 * PCL_WAF_TURN_BUDGET_MS overrides it (0: no budget, every inspection runs when it arrives),
 * read when the first inspection runs.
 */
const TURN_BUDGET_MS = 5;

/**
 * Most jobs waiting for a later turn (~0.2 s of browser GETs). Past it a job runs at once, as
 * without a budget: deferring only reorders work, and under sustained overload it must not hide
 * the backlog from the overload manager, which sheds on event-loop delay (ADR 0011).
 */
const MAX_WAITING = 128;

/**
 * Runs jobs on the event loop while the current turn's budget lasts, then defers the rest,
 * in arrival order, to later turns: each later turn runs at most one budget of them in its
 * check phase (setImmediate), after timers and I/O had their go. A job is never cut; a turn
 * runs at most its budget plus one job. Jobs that run at once return their value (the
 * request path stays synchronous); deferred ones return a promise. With MAX_WAITING jobs
 * waiting, a newcomer runs at once (overload must stay visible as event-loop delay).
 *
 * @example
 * const budget = new LoopBudget(5);
 * const d = budget.run(() => inspectRequest(rules, input, id, 'On')); // value, or a promise of it
 */
export class LoopBudget {
  readonly #budgetMs: number;
  readonly #now: () => number;
  readonly #maxWaiting: number;
  readonly #queue: Array<() => void> = [];
  /** Milliseconds of jobs run since the last check phase. */
  #used = 0;
  #ticking = false;

  constructor(budgetMs: number, now: () => number = () => performance.now(), maxWaiting = MAX_WAITING) {
    this.#budgetMs = budgetMs;
    this.#now = now;
    this.#maxWaiting = maxWaiting;
  }

  /** Jobs waiting for a later turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  run<T>(job: () => T): T | Promise<T> {
    if (this.#budgetMs <= 0 || this.#queue.length >= this.#maxWaiting) return job();
    // Arrival order: while anything waits, a newcomer waits behind it.
    if (this.#queue.length === 0 && this.#used < this.#budgetMs) return this.#timed(job);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        try { resolve(this.#timed(job)); } catch (err) { reject(err instanceof Error ? err : new Error(String(err))); }
      });
      this.#arm();
    });
  }

  #timed<T>(job: () => T): T {
    const t0 = this.#now();
    try {
      return job();
    } finally {
      this.#used += this.#now() - t0;
      this.#arm();
    }
  }

  /** One check-phase callback per turn while jobs ran or wait: it closes the turn. */
  #arm(): void {
    if (this.#ticking) return;
    this.#ticking = true;
    setImmediate(this.#tick);
  }

  readonly #tick = (): void => {
    // What the poll phase of this turn already ran counts: a turn that spent its budget there
    // runs nothing more; its immediate, armed from inside this callback, runs next turn.
    while (this.#queue.length > 0 && this.#used < this.#budgetMs) this.#queue.shift()!();
    this.#used = 0;
    this.#ticking = false;
    if (this.#queue.length > 0) this.#arm();
  };
}

let shared: LoopBudget | undefined;

/**
 * The process-wide budget: every WAF stage of every API shares the one event loop.
 *
 * @example
 * loopBudget().run(() => evaluate(rules, tx, 3));
 */
export function loopBudget(): LoopBudget {
  shared ??= new LoopBudget(Number(process.env['PCL_WAF_TURN_BUDGET_MS'] ?? TURN_BUDGET_MS));
  return shared;
}
