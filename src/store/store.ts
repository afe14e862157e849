/**
 * Shared state with TTLs (DESIGN.md "Store"): revocations, replay nonces, used one-time
 * codes, penalties, bot and anomaly state. In memory (bounded) on one machine, Redis across
 * instances. Every operation is atomic on its key.
 *
 * Keys are namespaced by the caller (`revoked:jti:<id>`, `nonce:<keyid>:<nonce>`).
 */
export interface KeyValueStore {
  /** Reads a value; undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /**
   * The same read without a promise, offered only by a store that holds its data in this process
   * (memory): a check on every request (revocations) then costs no microtask. ADR 0027.
   */
  readonly peek?: (key: string) => string | undefined;
  /** Writes a value that expires after ttlMs (0 = never; use sparingly). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Writes only if absent. True when this call wrote it (first use of a nonce or code). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Adds delta to an integer counter, creating it with ttlMs; returns the new value and its remaining TTL. */
  increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }>;
  /**
   * Writes `value` only if the key holds `expected` now (undefined: the key is absent), as one
   * atomic step: the optimistic read-modify-write of a structured value that several instances
   * update (anomaly state), where a plain set would overwrite another instance's counts. When
   * another writer got there first nothing is written and the current value comes back, so the
   * caller merges and retries without a second read (one round trip per attempt).
   */
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<CompareAndSetResult>;
  delete(key: string): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** What {@link KeyValueStore.compareAndSet} found: written, or the value that stood in the way. */
export type CompareAndSetResult = { readonly written: true } | { readonly written: false; readonly current: string | undefined };

/** A clock in milliseconds; injected so tests never sleep. */
export type Clock = () => number;
