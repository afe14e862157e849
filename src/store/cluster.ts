import type { Worker } from 'node:cluster';
import type { CompareAndSetResult, KeyValueStore } from './store.js';

type Call = { id: number; op: string; args: unknown[] };
type Reply = { id: number; ok: boolean; value?: unknown; error?: string };
/** A request from a worker to the primary's store, or the calls of one loop turn together. */
type CallMessage = { pclStore: Call } | { pclStoreBatch: Call[] };
/** The primary's answer (one reply per call, batched like the calls were). */
type ReplyMessage = { pclStoreReply: Reply } | { pclStoreReplyBatch: Reply[] };

/** What the primary runs for each operation a worker may call. */
export type ClusterStoreHandlers = Readonly<Record<string, (...args: never[]) => unknown>>;

/**
 * The worker side of the store hosted by the cluster primary (`--workers N` with the memory
 * backend): every operation is an IPC round trip to the primary (the calls of one loop turn share
 * one message each way: ADR 0018), whose single thread makes it
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
  /** Calls made during this loop turn, sent together once it ends (one IPC message each way, not one per call). */
  #queue: Call[] = [];

  constructor(opts: { timeoutMs?: number; send?: (m: CallMessage) => void; on?: (listener: (m: unknown) => void) => void } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 1000;
    this.#send = opts.send ?? ((m) => { if (process.send === undefined) throw new Error('not a cluster worker'); process.send(m); });
    const settle = (r: Reply): void => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(`cluster store: ${r.error ?? 'failed'}`));
    };
    this.#onMessage = (m) => {
      const msg = m as { pclStoreReply?: Reply; pclStoreReplyBatch?: Reply[] } | null;
      if (msg?.pclStoreReply !== undefined) settle(msg.pclStoreReply);
      else if (Array.isArray(msg?.pclStoreReplyBatch)) for (const r of msg.pclStoreReplyBatch) settle(r);
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
      // The requests handled in one poll phase check their limits together: flushed once it ends.
      if (this.#queue.push({ id, op, args }) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const calls = this.#queue;
    this.#queue = [];
    try {
      this.#send(calls.length === 1 ? { pclStore: calls[0]! } : { pclStoreBatch: calls });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const c of calls) {
        const p = this.#pending.get(c.id);
        if (p === undefined) continue;
        this.#pending.delete(c.id);
        clearTimeout(p.timer);
        p.reject(err);
      }
    }
  }

  get(key: string): Promise<string | undefined> { return this.call<string | null>('get', [key]).then((v) => v ?? undefined); }
  set(key: string, value: string, ttlMs: number): Promise<void> { return this.call('set', [key, value, ttlMs]); }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> { return this.call('setIfAbsent', [key, value, ttlMs]); }
  increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> { return this.call('increment', [key, delta, ttlMs]); }
  // IPC carries no undefined: an absent expected or current value travels as null.
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<CompareAndSetResult> {
    return this.call<{ written: boolean; current?: string | null }>('compareAndSet', [key, expected ?? null, value, ttlMs])
      .then((r) => (r.written ? { written: true } : { written: false, current: r.current ?? undefined }));
  }
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
  const send = (m: ReplyMessage): void => { if (worker.isConnected()) worker.send(m); };
  worker.on('message', (m: unknown) => {
    const msg = m as { pclStore?: Call; pclStoreBatch?: Call[] } | null;
    if (msg?.pclStore !== undefined) {
      if (valid(msg.pclStore)) void run(msg.pclStore, handlers).then((r) => send({ pclStoreReply: r }));
      return;
    }
    // Run in order (the primary is one thread, so each call stays atomic); one message back for all.
    if (Array.isArray(msg?.pclStoreBatch)) void Promise.all(msg.pclStoreBatch.filter(valid).map((c) => run(c, handlers))).then((rs) => send({ pclStoreReplyBatch: rs }));
  });
}

function valid(call: Call): boolean {
  return typeof call === 'object' && call !== null && typeof call.id === 'number' && Array.isArray(call.args);
}

function run(call: Call, handlers: ClusterStoreHandlers): Promise<Reply> {
  const fn = Object.hasOwn(handlers, call.op) ? handlers[call.op] : undefined;
  if (fn === undefined) return Promise.resolve({ id: call.id, ok: false, error: `unknown operation ${String(call.op)}` });
  return Promise.resolve()
    .then(() => (fn as (...a: unknown[]) => unknown)(...call.args))
    .then((value) => ({ id: call.id, ok: true, value: value ?? null }), (e: unknown) => ({ id: call.id, ok: false, error: e instanceof Error ? e.message : String(e) }));
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
    compareAndSet: (k: string, e: string | null, v: string, t: number) => store.compareAndSet(k, e ?? undefined, v, t),
    delete: (k: string) => store.delete(k),
  };
}
