/** One counted item: `count` overestimates the true count by at most `error`. */
export interface TopKEntry {
  readonly key: string;
  readonly count: number;
  readonly error: number;
}

/**
 * The heaviest hitters of an unbounded stream in bounded memory (space-saving algorithm,
 * Metwally et al. 2005): at most `capacity` counters; a new key takes over the smallest
 * counter and inherits its count as its error bound. Any key seen more than N/capacity
 * times is guaranteed to be present.
 *
 * @example
 * const top = new SpaceSaving(100);
 * top.add('203.0.113.7');
 * top.top(10); // [{ key: '203.0.113.7', count: 1, error: 0 }]
 */
export class SpaceSaving {
  readonly #capacity: number;
  readonly #counts = new Map<string, { count: number; error: number }>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Counts one occurrence (or `n`) of `key`. O(capacity) only when a new key evicts the smallest. */
  add(key: string, n = 1): void {
    const hit = this.#counts.get(key);
    if (hit !== undefined) { hit.count += n; return; }
    if (this.#counts.size < this.#capacity) { this.#counts.set(key, { count: n, error: 0 }); return; }
    let minKey = '';
    let min = Infinity;
    for (const [k, v] of this.#counts) if (v.count < min) { min = v.count; minKey = k; }
    this.#counts.delete(minKey);
    this.#counts.set(key, { count: min + n, error: min });
  }

  /** The `n` largest counters, largest first. */
  top(n: number): TopKEntry[] {
    return [...this.#counts].map(([key, v]) => ({ key, count: v.count, error: v.error }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)).slice(0, n);
  }

  get size(): number {
    return this.#counts.size;
  }
}
