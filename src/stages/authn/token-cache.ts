import { hash } from 'node:crypto';
import { lruEvictor } from '../../util/lru.js';

/**
 * A bounded cache of verification results keyed by the SHA-256 of the whole token, so
 * the token itself is never kept. An entry never outlives its own expiry (the token's
 * `exp`, or a shorter TTL); the oldest entry is evicted first when full.
 *
 * @example
 * const cache = new TokenCache<Principal>(10_000);
 * cache.set(token, principal, expMs);
 * cache.get(token); // principal until expMs
 */
export class TokenCache<V> {
  readonly #max: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  // A fresh keys() iterator per eviction walks every deleted slot (util/lru.ts): O(1) amortised instead.
  readonly #evict = lruEvictor(this.#entries);

  constructor(maxEntries: number, clock: () => number = Date.now) {
    this.#max = maxEntries;
    this.#clock = clock;
  }

  get size(): number { return this.#entries.size; }

  /** The cached value for `token` (or its precomputed key), undefined when absent or expired. */
  get(token: string): V | undefined {
    const key = TokenCache.key(token);
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Stores `value` until `expiresAt` (epoch ms); nothing is stored when that is already past. */
  set(token: string, value: V, expiresAt: number): void {
    if (this.#max <= 0 || expiresAt <= this.#clock()) return;
    const key = TokenCache.key(token);
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    this.#evict(this.#max);
  }

  clear(): void { this.#entries.clear(); }

  /** The cache key of a token: hex SHA-256 (one-shot `crypto.hash`: half the cost of a Hash object per request). */
  static key(token: string): string {
    return hash('sha256', token, 'hex');
  }
}
