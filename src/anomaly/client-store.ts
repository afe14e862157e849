import { publishAnomalyState } from '../observability/channels.js';
import type { KeyValueStore } from '../store/store.js';
import { formatClientState, parseClientState, type ClientState } from './state.js';

/**
 * One request's effect on a client's state. It runs once on the state in hand (`replay` false)
 * and again, with `replay` true, on the stored state whenever another instance wrote the client's
 * state first: the counts of both instances then add up instead of one overwriting the other.
 */
export type StateUpdate = (state: ClientState, replay: boolean) => void;

/** A client's state held by the requests of it in flight in this process. */
export interface Slot {
  readonly key: string;
  state: ClientState;
  refs: number;
  /** The stored value `state` was read as or last written as (undefined: none stored). */
  base: string | undefined;
  /** Updates applied to `state` that the store does not hold yet. */
  updates: StateUpdate[];
  /** The write in progress (writes of one slot run one after another). */
  writing: Promise<void> | undefined;
}

/** Writes of one slot before its updates are given up (each lost attempt means another instance wrote). */
const MAX_ATTEMPTS = 10;
/** A client whose requests always overlap never releases its slot: write every this many updates anyway. */
const FLUSH_EVERY = 64;

/**
 * Client states between the store and the requests using them. A client's state is read once
 * (one store GET) when none of its requests is in flight in this process, and written after the
 * response with one compare-and-set: requests of one client that overlap in this process share
 * one copy and one write. The write succeeds only over the value the state was read as; when
 * another instance wrote in between, the store returns that value, this instance's pending
 * updates are replayed onto it, and the merged state is written (no extra read). So instances
 * sharing one Redis count every request of a client, whichever instance served it (the
 * read-modify-write of a plain GET and SET lost the counts of overlapping writes).
 *
 * Memory is bounded by `maxClients` states at once; beyond it a request is not tracked (the
 * caller counts it) rather than growing the map.
 *
 * @example
 * const slot = await states.acquire('anomaly:books:p:alice', 12345);
 * states.apply(slot, (s) => { s.seen++; });
 * await states.release(slot);
 */
export class ClientStates {
  readonly #store: KeyValueStore;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #slots = new Map<string, Promise<Slot>>();
  readonly #resolved = new Map<string, Slot>();
  #conflicts = 0;
  #lost = 0;

  constructor(store: KeyValueStore, opts: { ttlMs: number; maxClients: number }) {
    this.#store = store;
    this.#ttlMs = opts.ttlMs;
    this.#max = opts.maxClients;
  }

  /** Client states held in this process (requests in flight or writes pending). */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Writes that found another instance's value and merged into it; updates given up after a
   * failed write or with a forgotten slot. Also published (`portcullis:anomaly:state`) for the
   * `portcullis_anomaly_state_*` metrics.
   */
  get stats(): { conflicts: number; lost: number } {
    return { conflicts: this.#conflicts, lost: this.#lost };
  }

  #lose(count: number): void {
    if (count === 0) return;
    this.#lost += count;
    publishAnomalyState({ outcome: 'lost', count });
  }

  /** The client's state, shared with its other requests in flight; undefined when the cap is reached. Rejects when the store fails. */
  async acquire(key: string, window: number): Promise<Slot | undefined> {
    let p = this.#slots.get(key);
    if (p === undefined) {
      if (this.#slots.size >= this.#max) return undefined;
      p = this.#store.get(key).then((text) => {
        const slot: Slot = { key, state: parseClientState(text, window), refs: 0, base: text, updates: [], writing: undefined };
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

  /** Applies a request's update to the slot's state and keeps it until the store holds it. */
  apply(slot: Slot, update: StateUpdate): void {
    update(slot.state, false);
    slot.updates.push(update);
  }

  /** Gives a slot back; the last holder (or every FLUSH_EVERY updates) writes the state to the store. Rejects when the store fails. */
  async release(slot: Slot): Promise<void> {
    slot.refs--;
    if (slot.refs > 0 && slot.updates.length < FLUSH_EVERY) return;
    const run = () => this.#write(slot);
    const p = (slot.writing ?? Promise.resolve()).then(run, run);
    slot.writing = p;
    try {
      await p;
    } finally {
      if (slot.writing === p) slot.writing = undefined;
      // The last holder done and no write queued: later requests read the store afresh.
      if (slot.refs === 0 && slot.writing === undefined && this.#resolved.get(slot.key) === slot) {
        this.#resolved.delete(slot.key);
        this.#slots.delete(slot.key);
        this.#lose(slot.updates.length);
      }
    }
  }

  async #write(slot: Slot): Promise<void> {
    if (slot.updates.length === 0) return;
    let done = slot.updates;
    slot.updates = [];
    let text = formatClientState(slot.state);
    try {
      for (let attempt = 1; ; attempt++) {
        const r = await this.#store.compareAndSet(slot.key, slot.base, text, this.#ttlMs);
        if (r.written) {
          slot.base = text;
          return;
        }
        this.#conflicts++;
        publishAnomalyState({ outcome: 'conflict', count: 1 });
        // Another instance wrote since our read: start from its value and replay every update
        // not in the store, including those applied while this write was on the wire.
        const fresh = parseClientState(r.current, slot.state.w);
        done = done.concat(slot.updates);
        slot.updates = [];
        for (const u of done) u(fresh, true);
        slot.state = fresh;
        slot.base = r.current;
        if (attempt >= MAX_ATTEMPTS) {
          // Left pending: the next write of this slot carries them, if it comes before the slot is forgotten.
          slot.updates = done.concat(slot.updates);
          return;
        }
        text = formatClientState(fresh);
      }
    } catch (err) {
      // The store failed: these counts are lost; the state in hand no longer matches a stored value.
      this.#lose(done.length);
      slot.base = undefined;
      slot.updates = [];
      if (this.#resolved.get(slot.key) === slot) { this.#resolved.delete(slot.key); this.#slots.delete(slot.key); }
      throw err;
    }
  }
}
