/**
 * A bounded map from request values to what a pure function of the value computed, kept
 * across transactions (ADR 0025): benign header values, argument names and small argument
 * values repeat from one request to the next, and what a group scan learns of them does not
 * depend on the request they came in.
 *
 * Two generations stand in for an LRU: entries go into the young map; when its character
 * budget is spent, the young map becomes the old one and the previous old map is dropped; a hit
 * in the old map is copied back into the young one. Memory is bounded by twice the budget (plus
 * a fixed cost per entry, counted in the budget), whatever the values an attacker sends; a flood
 * of distinct values only evicts, it cannot grow the cache.
 */

let enabled = true;

/**
 * Turns every ValueCache off (get answers undefined, set keeps nothing) or back on. For the
 * tests that compare an engine with warm caches against one without any (ADR 0025).
 *
 * @example setValueCaches(false); ...; setValueCaches(true);
 */
export function setValueCaches(on: boolean): void {
  enabled = on;
}

/** Characters charged per entry besides the value itself: the map slot and the result. */
const ENTRY_COST = 32;

/**
 * @example
 * const c = new ValueCache<boolean>(1024, 64); c.set('gzip', false); c.get('gzip') // false
 */
export class ValueCache<V> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  #spent = 0;
  readonly budget: number;
  readonly maxValue: number;

  /**
   * @param budget characters (values plus ENTRY_COST each) one generation may hold
   * @param maxValue longer values are not cached (`set` ignores them): they rarely repeat,
   *   and one would take a large share of the budget
   */
  constructor(budget: number, maxValue: number) {
    this.budget = budget;
    this.maxValue = maxValue;
  }

  /** The cached result for `value`, or undefined when it is not (or no longer) cached. */
  get(value: string): V | undefined {
    if (!enabled) return undefined;
    const y = this.#young.get(value);
    if (y !== undefined) return y;
    const o = this.#old.get(value);
    if (o !== undefined) this.#put(value, o);
    return o;
  }

  /** Whether `value` is short enough to be cached at all (and caches are on). */
  accepts(value: string): boolean {
    return enabled && value.length <= this.maxValue;
  }

  set(value: string, result: V): void {
    if (enabled && value.length <= this.maxValue) this.#put(value, result);
  }

  #put(value: string, result: V): void {
    const cost = value.length + ENTRY_COST;
    if (this.#spent + cost > this.budget) {
      this.#old = this.#young;
      this.#young = new Map();
      this.#spent = 0;
    }
    this.#young.set(value, result);
    this.#spent += cost;
  }

  /** Entries held in both generations (tests and stats). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
