import type { ScanVerdict } from './clamd.js';

type Definite = Exclude<ScanVerdict, { kind: 'unavailable' }>;

/**
 * clamd verdicts by the file's SHA-256: bounded (least recently used dropped first) and
 * each entry trusted for a TTL only, since a signature update may turn a clean file into
 * a detected one. Only definite verdicts are kept, never "unavailable".
 *
 * @example
 * const cache = new VerdictCache(10_000, 3600_000);
 * cache.set(sha256, { kind: 'clean' });
 */
export class VerdictCache {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { verdict: Definite; expires: number }>();

  constructor(maxEntries: number, ttlMs: number, now: () => number = Date.now) {
    this.#max = maxEntries;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number { return this.#entries.size; }

  get(sha256: string): Definite | undefined {
    const e = this.#entries.get(sha256);
    if (e === undefined) return undefined;
    if (e.expires <= this.#now()) {
      this.#entries.delete(sha256);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.#entries.delete(sha256);
    this.#entries.set(sha256, e);
    return e.verdict;
  }

  set(sha256: string, verdict: ScanVerdict): void {
    if (this.#max === 0 || verdict.kind === 'unavailable') return;
    this.#entries.delete(sha256);
    this.#entries.set(sha256, { verdict, expires: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
