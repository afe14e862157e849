/**
 * A keyed, ordered, multi-valued collection (ARGS, REQUEST_HEADERS, TX...).
 * Keys compare case-insensitively, as ModSecurity selectors do.
 */

/** One key/value entry; `key` keeps the original spelling for reporting. */
export interface Entry {
  readonly key: string;
  value: string;
}

/**
 * @example
 * const c = new Collection(); c.add('Host', 'x'); c.get('host') // [{ key: 'Host', value: 'x' }]
 */
export class Collection {
  #entries: Entry[] = [];

  add(key: string, value: string): void {
    this.#entries.push({ key, value });
  }

  /** Replaces all entries of `key` with one value (TX semantics). */
  set(key: string, value: string): void {
    const lk = key.toLowerCase();
    const existing = this.#entries.find((e) => e.key.toLowerCase() === lk);
    if (existing) {
      existing.value = value;
      this.#entries = this.#entries.filter((e) => e === existing || e.key.toLowerCase() !== lk);
    } else {
      this.#entries.push({ key: lk, value });
    }
  }

  remove(key: string): void {
    const lk = key.toLowerCase();
    this.#entries = this.#entries.filter((e) => e.key.toLowerCase() !== lk);
  }

  get(key: string): Entry[] {
    const lk = key.toLowerCase();
    return this.#entries.filter((e) => e.key.toLowerCase() === lk);
  }

  first(key: string): string | undefined {
    return this.get(key)[0]?.value;
  }

  all(): readonly Entry[] {
    return this.#entries;
  }

  clear(): void {
    this.#entries = [];
  }

  get size(): number {
    return this.#entries.length;
  }
}
