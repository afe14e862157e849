/**
 * A fixed-window request budget of one integration, in this process. Outbound budgets protect a
 * third party (and the contract with it) from a runaway application; they need no shared state
 * to do that, so they are kept local and cheap.
 *
 * @example
 * const w = new FixedWindow(10, 1000);
 * if (!w.take()) refuse();
 */
export class FixedWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #start = -Infinity;
  #used = 0;

  constructor(limit: number, windowMs: number, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Takes one request from the budget; false when the window's budget is spent. */
  take(): boolean {
    const now = this.#now();
    if (now - this.#start >= this.#windowMs) { this.#start = now; this.#used = 0; }
    if (this.#used >= this.#limit) return false;
    this.#used += 1;
    return true;
  }

  /** Seconds until the window resets (for Retry-After), at least 1. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.#windowMs - (this.#now() - this.#start)) / 1000));
  }
}
