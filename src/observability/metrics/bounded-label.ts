/**
 * A label value set that grows first-come up to a limit and then answers `other`. For label
 * values that come from code or config (event kinds, API names), never from clients: the cap
 * is a second line of defence against a bug that would let a series per request appear.
 *
 * @example
 * const apis = new BoundedLabel(256);
 * apis.value('books'); // 'books'
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  readonly #limit: number;
  readonly #pattern: RegExp;

  constructor(limit: number, pattern = /^[A-Za-z0-9_.:/ -]{1,80}$/) {
    this.#limit = limit;
    this.#pattern = pattern;
  }

  /** The label value for `v`: itself when already seen or while room is left and it looks like a name, else `other`. */
  value(v: string | undefined): string {
    if (v === undefined || v === '') return 'none';
    if (this.#seen.has(v)) return v;
    if (this.#seen.size >= this.#limit || !this.#pattern.test(v)) return 'other';
    this.#seen.add(v);
    return v;
  }
}
