import type { KeyValueStore } from '../../store/store.js';

/**
 * In-flight requests per client, counted in the shared store so every instance sees them. A slot
 * is taken in the limit phase and given back when the response ends (record phase); the lease TTL
 * frees slots whose release was lost (a crashed instance).
 *
 * @example
 * const c = new ConcurrencyLimiter(store, 10, 60_000);
 * if (!(await c.acquire('p.alice'))) reject429();
 * // ... later, when the response ends:
 * void c.release('p.alice');
 */
export class ConcurrencyLimiter {
  readonly #store: KeyValueStore;
  readonly #limit: number;
  readonly #leaseMs: number;

  constructor(store: KeyValueStore, limit: number, leaseMs: number) {
    this.#store = store;
    this.#limit = limit;
    this.#leaseMs = leaseMs;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Takes a slot; false (and nothing taken) when the client already has `limit` in flight. */
  async acquire(key: string): Promise<boolean> {
    const { value } = await this.#store.increment(`rl:inflight:${key}`, 1, this.#leaseMs);
    if (value <= this.#limit) return true;
    await this.#store.increment(`rl:inflight:${key}`, -1, this.#leaseMs);
    return false;
  }

  async release(key: string): Promise<void> {
    await this.#store.increment(`rl:inflight:${key}`, -1, this.#leaseMs);
  }
}
