import { lruEvictor } from '../util/lru.js';
import type { Clock, KeyValueStore } from './store.js';

interface Entry { value: string; expiresAt: number }

/**
 * The embedded store: a Map with per-key expiry, bounded by `maxKeys` with least-recently
 * used eviction, so a flood of distinct keys cannot grow memory without limit.
 *
 * @example
 * const store = new MemoryStore({ maxKeys: 100_000 });
 * await store.setIfAbsent('nonce:abc', '1', 300_000); // true the first time only
 */
export class MemoryStore implements KeyValueStore {
  readonly #map = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #now: Clock;
  readonly #evict = lruEvictor(this.#map);

  constructor(opts: { maxKeys?: number; now?: Clock } = {}) {
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Number of live entries (for tests and metrics). */
  get size(): number {
    return this.#map.size;
  }

  #live(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== 0 && e.expiresAt <= this.#now()) {
      this.#map.delete(key);
      return undefined;
    }
    // Re-insert to mark as recently used (Map keeps insertion order).
    this.#map.delete(key);
    this.#map.set(key, e);
    return e;
  }

  #put(key: string, value: string, ttlMs: number): Entry {
    const e = { value, expiresAt: ttlMs > 0 ? this.#now() + ttlMs : 0 };
    this.#map.delete(key);
    this.#map.set(key, e);
    this.#evict(this.#maxKeys);
    return e;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  async increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    const e = this.#live(key);
    if (e === undefined) {
      const created = this.#put(key, String(delta), ttlMs);
      return { value: delta, ttlMs: created.expiresAt === 0 ? 0 : ttlMs };
    }
    const value = Number(e.value) + delta;
    e.value = String(value);
    return { value, ttlMs: e.expiresAt === 0 ? 0 : Math.max(0, e.expiresAt - this.#now()) };
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }

  async close(): Promise<void> {
    this.#map.clear();
  }
}
