import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResponseInput, TransactionInput, TransactionState } from '../../waf/index.js';
import type { InspectResult } from './inspect.js';
import type { InspectReply, WorkerJob } from './inspect-worker.js';
import type { RuleSetInputs } from './rules.js';

interface Pending {
  readonly resolve: (r: InspectResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Rule sets this worker was told to load (keys), so a reload loads each once. */
  readonly loaded: Set<string>;
}

/**
 * Inspection threads for request bodies large enough to hold the event loop (ADR 0006):
 * one CRS rule over a 128 KiB value can take longer than the 20 ms a gateway may stall,
 * so such requests run on a worker while the event loop keeps serving others; so do the
 * response phases over large buffered response bodies (ADR 0026). `warm` starts every
 * worker and has it load a rule set when the configuration loads (it cannot be shared
 * between threads), so the first large request pays neither; workers are unref'd so an
 * idle pool never keeps the process alive.
 *
 * @example
 * const r = await inspectionPool().inspect(inputs, txInput, ctx.id, 'On');
 */
export class InspectionPool {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  #seq = 0;

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  /**
   * Inspects one request on the least busy worker. Rejects when the worker fails.
   * `wantState`: the answer carries the transaction's state for the response phases.
   */
  inspect(inputs: RuleSetInputs, input: TransactionInput, id: string, engineMode: 'On' | 'DetectionOnly', wantState = false): Promise<InspectResult> {
    const body = own(input.body);
    const job = { kind: 'request', seq: ++this.#seq, key: JSON.stringify(inputs), inputs, input: body === undefined ? input : { ...input, body }, id, engineMode, wantState } as const;
    return this.#send(job, body);
  }

  /**
   * Runs response phases 3-4 on the least busy worker, continuing the request's transaction
   * from `state`; `request` is the request without its body. Rejects when the worker fails.
   */
  respond(inputs: RuleSetInputs, request: TransactionInput, id: string, state: TransactionState, response: ResponseInput): Promise<InspectResult> {
    const body = own(response.body);
    const job = { kind: 'response', seq: ++this.#seq, key: JSON.stringify(inputs), inputs, input: request, id, state, response: body === undefined ? response : { ...response, body } } as const;
    return this.#send(job, body);
  }

  /** Starts every worker (up to the pool's size) and has each load the rule set of `inputs` now. */
  warm(inputs: RuleSetInputs): void {
    while (this.#slots.length < this.#size) this.#spawn();
    const key = JSON.stringify(inputs);
    for (const slot of this.#slots) {
      if (slot.loaded.has(key)) continue;
      slot.loaded.add(key);
      slot.worker.postMessage({ kind: 'load', seq: 0, key, inputs } satisfies WorkerJob);
    }
  }

  /** Workers running (for tests: started at config load). */
  get started(): number {
    return this.#slots.length;
  }

  #send(job: Exclude<WorkerJob, { kind: 'load' }>, body: Uint8Array | undefined): Promise<InspectResult> {
    const slot = this.#pick();
    slot.loaded.add(job.key);
    return new Promise<InspectResult>((resolve, reject) => {
      slot.pending.set(job.seq, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage(job, body === undefined ? [] : [body.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker (tests, shutdown); pending inspections reject. */
  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.#slots) if (best === undefined || s.pending.size < best.pending.size) best = s;
    if (best !== undefined && (best.pending.size === 0 || this.#slots.length >= this.#size)) return best;
    return this.#spawn();
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./inspect-worker.js', import.meta.url));
    const slot: Slot = { worker, pending: new Map(), loaded: new Set() };
    const failAll = (err: Error): void => {
      const i = this.#slots.indexOf(slot);
      if (i !== -1) this.#slots.splice(i, 1);
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('message', (reply: InspectReply) => {
      const p = slot.pending.get(reply.seq);
      if (p === undefined) return;
      slot.pending.delete(reply.seq);
      if (slot.pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(reply.error));
      else {
        p.resolve({
          matches: reply.matches, interrupted: reply.interrupted,
          ...(reply.ruleId === undefined ? {} : { ruleId: reply.ruleId }),
          ...(reply.bodyError === undefined ? {} : { bodyError: reply.bodyError }),
          ...(reply.state === undefined ? {} : { state: reply.state }),
        });
      }
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`WAF inspection worker exited with code ${code}`)));
    // After the listeners: attaching a 'message' listener refs the worker again.
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }
}

/**
 * A copy of `bytes` in a buffer of its own, to transfer rather than clone: a view into a
 * larger buffer (a socket read, Node's pool) would otherwise be cloned whole.
 */
function own(bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (bytes === undefined) return undefined;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

let shared: InspectionPool | undefined;

/**
 * The process-wide pool: one thread per spare core (at least one, at most four).
 *
 * @example
 * inspectionPool().inspect(inputs, txInput, id, 'On')
 */
export function inspectionPool(): InspectionPool {
  shared ??= new InspectionPool(Math.min(4, Math.max(1, availableParallelism() - 1)));
  return shared;
}
