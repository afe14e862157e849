/**
 * A named registry (operators, transformations, actions), filled explicitly
 * from each vocabulary's builtins.ts. Names compare case-insensitively, as SecLang does.
 */

/** Metadata every entry carries (STYLE 7). */
export interface EntryMeta {
  readonly status: 'stable' | 'experimental';
  /** One line on what the entry does to security posture. */
  readonly posture: string;
}

/** Thrown for an unknown name; lists the valid ones. */
export class UnknownEntryError extends Error {
  /**
   * @example
   * new UnknownEntryError('operator', 'rxx', ['rx']).message // "unknown operator 'rxx' (known: rx)"
   */
  constructor(kind: string, name: string, known: readonly string[]) {
    super(`unknown ${kind} '${name}' (known: ${known.join(', ')})`);
    this.name = 'UnknownEntryError';
  }
}

/**
 * @example
 * const r = new Registry<number>('thing'); r.register('a', 1, meta); r.get('A') // 1
 */
export class Registry<T> {
  readonly #kind: string;
  readonly #entries = new Map<string, { value: T; meta: EntryMeta }>();

  constructor(kind: string) {
    this.#kind = kind;
  }

  register(name: string, value: T, meta: EntryMeta): void {
    this.#entries.set(name.toLowerCase(), { value, meta });
  }

  get(name: string): T {
    const e = this.#entries.get(name.toLowerCase());
    if (!e) throw new UnknownEntryError(this.#kind, name, [...this.#entries.keys()]);
    return e.value;
  }

  has(name: string): boolean {
    return this.#entries.has(name.toLowerCase());
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }
}
