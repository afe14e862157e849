import { lruEvictor } from '../util/lru.js';
import type { Clock, CompareAndSetResult, KeyValueStore } from './store.js';

interface Entry { value: string; expiresAt: number }

/**
 * Key classes kept in pools of their own, each bounded by `maxKeys` with its own LRU, so a
 * flood of one class cannot evict another: per-client bot, risk and rate state (which an
 * attacker can multiply by spoofing addresses) must never push out a revocation (which
 * would un-revoke a token) or a used nonce or one-time code (which would allow a replay).
 */
const POOLS: readonly (readonly [prefix: string, pool: number])[] = [['revoked:', 1], ['sig:nonce:', 2], ['totp:used:', 2]];

interface Pool { readonly map: Map<string, Entry>; readonly evict: (max: number) => void }

function newPool(): Pool {
  const map = new Map<string, Entry>();
  return { map, evict: lruEvictor(map) };
}

/**
 * The embedded store: Maps with per-key expiry, bounded by `maxKeys` per key class (see
 * POOLS) with least-recently used eviction, so a flood of distinct keys cannot grow memory
 * without limit, nor evict security state.
 *
 * @example
 * const store = new MemoryStore({ maxKeys: 100_000 });
 * await store.setIfAbsent('nonce:abc', '1', 300_000); // true the first time only
 */
export class MemoryStore implements KeyValueStore {
  readonly #pools: readonly Pool[] = [newPool(), newPool(), newPool()];
  readonly #maxKeys: number;
  readonly #now: Clock;

  constructor(opts: { maxKeys?: number; now?: Clock } = {}) {
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Number of live entries (for tests and metrics). */
  get size(): number {
    return this.#pools.reduce((n, p) => n + p.map.size, 0);
  }

  #pool(key: string): Pool {
    for (const [prefix, pool] of POOLS) if (key.startsWith(prefix)) return this.#pools[pool]!;
    return this.#pools[0]!;
  }

  #live(key: string): Entry | undefined {
    const map = this.#pool(key).map;
    const e = map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== 0 && e.expiresAt <= this.#now()) {
      map.delete(key);
      return undefined;
    }
    // Re-insert to mark as recently used (Map keeps insertion order).
    map.delete(key);
    map.set(key, e);
    return e;
  }

  #put(key: string, value: string, ttlMs: number): Entry {
    const pool = this.#pool(key);
    const e = { value, expiresAt: ttlMs > 0 ? this.#now() + ttlMs : 0 };
    pool.map.delete(key);
    pool.map.set(key, e);
    pool.evict(this.#maxKeys);
    return e;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  readonly peek = (key: string): string | undefined => this.#live(key)?.value;

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

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<CompareAndSetResult> {
    const current = this.#live(key)?.value;
    if (current !== expected) return { written: false, current };
    this.#put(key, value, ttlMs);
    return { written: true };
  }

  async delete(key: string): Promise<void> {
    this.#pool(key).map.delete(key);
  }

  async close(): Promise<void> {
    for (const p of this.#pools) p.map.clear();
  }
}
