import type { Worker } from 'node:cluster';
import type { KeyValueStore } from './store.js';

/** A request from a worker to the primary's store. */
interface CallMessage { pclStore: { id: number; op: string; args: unknown[] } }
/** The primary's answer. */
interface ReplyMessage { pclStoreReply: { id: number; ok: boolean; value?: unknown; error?: string } }

/** What the primary runs for each operation a worker may call. */
export type ClusterStoreHandlers = Readonly<Record<string, (...args: never[]) => unknown>>;

/**
 * The worker side of the store hosted by the cluster primary (`--workers N` with the memory
 * backend): every operation is one IPC round trip to the primary, whose single thread makes it
 * atomic across workers, so all workers share limits, penalties, nonces and bot state without
 * Redis. Every call times out (1 s by default) and then fails like an unreachable Redis would,
 * so each stage's failure policy applies.
 *
 * @example
 * const store = new ClusterStoreClient(); // in a worker
 * await store.increment('k', 1, 60_000);
 */
export class ClusterStoreClient implements KeyValueStore {
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  readonly #timeoutMs: number;
  readonly #send: (m: CallMessage) => void;
  readonly #onMessage: (m: unknown) => void;
  #next = 0;

  constructor(opts: { timeoutMs?: number; send?: (m: CallMessage) => void; on?: (listener: (m: unknown) => void) => void } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 1000;
    this.#send = opts.send ?? ((m) => { if (process.send === undefined) throw new Error('not a cluster worker'); process.send(m); });
    this.#onMessage = (m) => {
      const r = (m as Partial<ReplyMessage> | null)?.pclStoreReply;
      if (r === undefined) return;
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(`cluster store: ${r.error ?? 'failed'}`));
    };
    (opts.on ?? ((l) => process.on('message', l)))(this.#onMessage);
  }

  /** Calls `op` on the primary; used by back-ends with their own operations (the rate-limit check). */
  call<T>(op: string, args: unknown[]): Promise<T> {
    const id = this.#next = (this.#next + 1) % Number.MAX_SAFE_INTEGER;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`cluster store: ${op} timed out after ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.#send({ pclStore: { id, op, args } });
      } catch (e) {
        this.#pending.delete(id);
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  get(key: string): Promise<string | undefined> { return this.call<string | null>('get', [key]).then((v) => v ?? undefined); }
  set(key: string, value: string, ttlMs: number): Promise<void> { return this.call('set', [key, value, ttlMs]); }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> { return this.call('setIfAbsent', [key, value, ttlMs]); }
  increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> { return this.call('increment', [key, delta, ttlMs]); }
  delete(key: string): Promise<void> { return this.call('delete', [key]); }

  /** The primary owns the state; a worker only stops listening. */
  async close(): Promise<void> {
    process.off('message', this.#onMessage);
    for (const [, p] of this.#pending) { clearTimeout(p.timer); p.reject(new Error('cluster store closed')); }
    this.#pending.clear();
  }
}

/**
 * The primary side: answers a worker's store calls with `handlers` (a memory store's methods plus
 * back-end operations such as `rl.check`). Unknown operations and throwing handlers answer an error.
 *
 * @example
 * serveClusterStore(worker, { get: (k: string) => memory.get(k), ... });
 */
export function serveClusterStore(worker: Pick<Worker, 'on' | 'send' | 'isConnected'>, handlers: ClusterStoreHandlers): void {
  worker.on('message', (m: unknown) => {
    const call = (m as Partial<CallMessage> | null)?.pclStore;
    if (call === undefined || typeof call.id !== 'number' || !Array.isArray(call.args)) return;
    const reply = (r: ReplyMessage['pclStoreReply']) => { if (worker.isConnected()) worker.send({ pclStoreReply: r }); };
    const fn = Object.hasOwn(handlers, call.op) ? handlers[call.op] : undefined;
    if (fn === undefined) { reply({ id: call.id, ok: false, error: `unknown operation ${String(call.op)}` }); return; }
    Promise.resolve()
      .then(() => (fn as (...a: unknown[]) => unknown)(...call.args))
      .then((value) => reply({ id: call.id, ok: true, value: value ?? null }), (e: unknown) => reply({ id: call.id, ok: false, error: e instanceof Error ? e.message : String(e) }));
  });
}

/**
 * The store operations of a memory store, as cluster handlers.
 *
 * @example
 * serveClusterStore(worker, { ...keyValueHandlers(memory), 'rl.check': (r) => rl.check(r) });
 */
export function keyValueHandlers(store: KeyValueStore): ClusterStoreHandlers {
  return {
    get: (k: string) => store.get(k),
    set: (k: string, v: string, t: number) => store.set(k, v, t),
    setIfAbsent: (k: string, v: string, t: number) => store.setIfAbsent(k, v, t),
    increment: (k: string, d: number, t: number) => store.increment(k, d, t),
    delete: (k: string) => store.delete(k),
  };
}
