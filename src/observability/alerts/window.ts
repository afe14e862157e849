const SLOTS = 10;

/**
 * A sliding window counter in tenths: O(1) memory whatever the rate, so a flood costs no
 * more than a trickle. Counts are exact to one tenth of the window (events older than
 * 9/10 to 10/10 of a window may still be counted).
 *
 * @example
 * const w = new WindowCounter(60_000);
 * w.add(Date.now()); // 1
 */
export class WindowCounter {
  readonly #slotMs: number;
  readonly #counts = new Array<number>(SLOTS).fill(0);
  readonly #ids = new Array<number>(SLOTS).fill(-1);

  constructor(windowMs: number) {
    this.#slotMs = Math.max(1, windowMs / SLOTS);
  }

  /** Counts `n` events (one, or an aggregated event's count) at `now`; returns the total within the window. */
  add(now: number, n = 1): number {
    const id = Math.floor(now / this.#slotMs);
    const slot = id % SLOTS;
    if (this.#ids[slot] !== id) { this.#ids[slot] = id; this.#counts[slot] = 0; }
    this.#counts[slot]! += n;
    let total = 0;
    for (let i = 0; i < SLOTS; i++) if (this.#ids[i]! > id - SLOTS) total += this.#counts[i]!;
    return total;
  }
}
