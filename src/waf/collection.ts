/**
 * A keyed, ordered, multi-valued collection (ARGS, REQUEST_HEADERS, TX...).
 * Keys compare case-insensitively, as ModSecurity selectors do.
 */

/** One key/value entry; `key` keeps the original spelling for reporting, `lkey` is its lower case. */
export interface Entry {
  readonly key: string;
  readonly lkey: string;
  value: string;
}

const NONE: readonly Entry[] = Object.freeze([]);

/**
 * Entries in insertion order plus an index by lower-case key, so a keyed lookup
 * (`TX:paranoia_level`, `REQUEST_HEADERS:Host`) does not lower-case every entry:
 * CRS reads and writes TX by key hundreds of times per request (ADR 0006).
 *
 * @example
 * const c = new Collection(); c.add('Host', 'x'); c.get('host') // [{ key: 'Host', lkey: 'host', value: 'x' }]
 */
export class Collection {
  #entries: Entry[] = [];
  /**
   * Built on the first keyed access, not by `add`: MATCHED_VARS and MATCHED_VARS_NAMES get an
   * entry per matched value and are cleared before every rule, and almost never read by key;
   * indexing every add was a third of the engine's allocation per request (ADR 0030).
   */
  #index: Map<string, Entry[]> | undefined;

  #indexed(): Map<string, Entry[]> {
    let idx = this.#index;
    if (idx === undefined) {
      idx = new Map();
      for (const e of this.#entries) {
        const list = idx.get(e.lkey);
        if (list) list.push(e); else idx.set(e.lkey, [e]);
      }
      this.#index = idx;
    }
    return idx;
  }

  /** `lkey`: the key's lower case, when the caller has it (a body argument goes to four collections). */
  add(key: string, value: string, lkey: string = key.toLowerCase()): void {
    const e: Entry = { key, lkey, value };
    this.#entries.push(e);
    const idx = this.#index;
    if (idx === undefined) return;
    const list = idx.get(lkey);
    if (list) list.push(e); else idx.set(lkey, [e]);
  }

  /** Replaces all entries of `key` with one value (TX semantics). */
  set(key: string, value: string): void {
    this.setLower(key.toLowerCase(), value);
  }

  /** `set` for a key already in lower case (setvar lower-cases its expanded name once). */
  setLower(lk: string, value: string): void {
    const idx = this.#indexed();
    const list = idx.get(lk);
    if (list) {
      const existing = list[0]!;
      existing.value = value;
      if (list.length > 1) {
        this.#entries = this.#entries.filter((e) => e === existing || e.lkey !== lk);
        idx.set(lk, [existing]);
      }
    } else {
      const e: Entry = { key: lk, lkey: lk, value };
      this.#entries.push(e);
      idx.set(lk, [e]);
    }
  }

  remove(key: string): void {
    const lk = key.toLowerCase();
    if (!this.#indexed().delete(lk)) return;
    this.#entries = this.#entries.filter((e) => e.lkey !== lk);
  }

  /** The entries of `key` in insertion order (do not modify the array). */
  get(key: string): readonly Entry[] {
    return this.getLower(key.toLowerCase());
  }

  /**
   * `get` for a key already in lower case (a parsed selector's, a TX probe's): no
   * `toLowerCase` per read; the engine reads a few hundred keys per request (ADR 0038).
   */
  getLower(lkey: string): readonly Entry[] {
    return this.#indexed().get(lkey) ?? NONE;
  }

  first(key: string): string | undefined {
    return this.getLower(key.toLowerCase())[0]?.value;
  }

  /** Appends a copy of every entry of `from` (its own entries stay its own: setvar edits values in place). */
  addCopies(from: Collection): void {
    for (const e of from.#entries) {
      const c: Entry = { key: e.key, lkey: e.lkey, value: e.value };
      this.#entries.push(c);
      const idx = this.#index;
      if (idx === undefined) continue;
      const list = idx.get(c.lkey);
      if (list) list.push(c); else idx.set(c.lkey, [c]);
    }
  }

  all(): readonly Entry[] {
    return this.#entries;
  }

  clear(): void {
    if (this.#entries.length === 0) return;
    // A new array: a caller may still hold the old one (resolveTarget hands entries out).
    this.#entries = [];
    this.#index = undefined;
  }

  get size(): number {
    return this.#entries.length;
  }
}
