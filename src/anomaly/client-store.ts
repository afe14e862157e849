import type { KeyValueStore } from '../store/store.js';
import { formatClientState, parseClientState, type ClientState } from './state.js';

/** A client's state held by the requests of it in flight in this process. */
export interface Slot {
  readonly key: string;
  readonly state: ClientState;
  refs: number;
}

/**
 * Client states between the store and the requests using them. A request reads its client's
 * state once (one store GET) and writes it back once after the response (one SET); requests of
 * the same client that overlap in this process share one copy, so their counts are not lost to
 * interleaved read-modify-writes, and they cost one GET and one SET together. Across instances
 * two overlapping writes can lose one request's counts: that only makes a client look quieter.
 *
 * Memory is bounded by `maxClients` states in flight; beyond it a request is not tracked (the
 * caller counts it) rather than growing the map.
 *
 * @example
 * const slot = await states.acquire('anomaly:books:p:alice', 12345);
 * ...; await states.release(slot);
 */
export class ClientStates {
  readonly #store: KeyValueStore;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #slots = new Map<string, Promise<Slot>>();
  readonly #resolved = new Map<string, Slot>();

  constructor(store: KeyValueStore, opts: { ttlMs: number; maxClients: number }) {
    this.#store = store;
    this.#ttlMs = opts.ttlMs;
    this.#max = opts.maxClients;
  }

  /** In-flight client states (for the admin view and tests). */
  get size(): number {
    return this.#slots.size;
  }

  /** The client's state, shared with its other requests in flight; undefined when the cap is reached. Rejects when the store fails. */
  async acquire(key: string, window: number): Promise<Slot | undefined> {
    let p = this.#slots.get(key);
    if (p === undefined) {
      if (this.#slots.size >= this.#max) return undefined;
      p = this.#store.get(key).then((text) => {
        const slot: Slot = { key, state: parseClientState(text, window), refs: 0 };
        this.#resolved.set(key, slot);
        return slot;
      });
      this.#slots.set(key, p);
      p.catch(() => { if (this.#slots.get(key) === p) this.#slots.delete(key); });
    }
    const slot = await p;
    slot.refs++;
    return slot;
  }

  /** Gives a slot back; the last holder writes the state to the store. */
  async release(slot: Slot): Promise<void> {
    slot.refs--;
    if (slot.refs > 0) return;
    // A later request of the client may already hold a newer slot under the same key: leave it.
    if (this.#resolved.get(slot.key) === slot) {
      this.#resolved.delete(slot.key);
      this.#slots.delete(slot.key);
    }
    await this.#store.set(slot.key, formatClientState(slot.state), this.#ttlMs);
  }
}
