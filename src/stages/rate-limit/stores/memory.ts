import type { Clock } from '../../../store/store.js';
import { lruEvictor } from '../../../util/lru.js';
import type { LimitState } from '../algorithms/types.js';
import { checkAll, type StateAccess } from './check.js';
import type { CheckRequest, CheckResult, RateLimitStore } from './store.js';

interface Entry { state: LimitState; expiresAt: number }

/**
 * Rate-limit state in this process: a Map bounded by `maxKeys` with least-recently-used
 * eviction, so a flood of distinct clients cannot grow memory without limit (an evicted client
 * starts afresh: the bound trades a little accuracy for safety). Checks are synchronous, hence atomic.
 *
 * @example
 * const store = new MemoryRateLimitStore({ maxKeys: 100_000 });
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly backend = 'memory';
  readonly #map = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #now: Clock;
  readonly #access: StateAccess;

  constructor(opts: { maxKeys?: number; now?: Clock } = {}) {
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#now = opts.now ?? Date.now;
    const evict = lruEvictor(this.#map);
    this.#access = {
      read: (key) => {
        const e = this.#map.get(key);
        if (e === undefined) return undefined;
        if (e.expiresAt <= this.#now()) { this.#map.delete(key); return undefined; }
        return e.state;
      },
      write: (key, state, ttlMs) => {
        this.#map.delete(key);
        this.#map.set(key, { state, expiresAt: this.#now() + ttlMs });
        evict(this.#maxKeys);
      },
    };
  }

  /** Live entries (for tests and metrics). */
  get size(): number {
    return this.#map.size;
  }

  async check(request: CheckRequest): Promise<CheckResult> {
    return checkAll(request, this.#now(), this.#access, '');
  }

  async close(): Promise<void> {
    this.#map.clear();
  }
}
