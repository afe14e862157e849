import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TransactionInput } from '../../waf/index.js';
import type { InspectResult } from './inspect.js';
import type { InspectJob, InspectReply } from './inspect-worker.js';
import type { RuleSetInputs } from './rules.js';

interface Pending {
  readonly resolve: (r: InspectResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Inspection threads for request bodies large enough to hold the event loop (ADR 0006):
 * one CRS rule over a 128 KiB value can take longer than the 20 ms a gateway may stall,
 * so such requests run on a worker while the event loop keeps serving others. Workers
 * start on first use, load the rule set themselves (it cannot be shared between
 * threads) and are unref'd so an idle pool never keeps the process alive.
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
    const slot = this.#pick();
    const seq = ++this.#seq;
    // The body moves in a buffer of its own, transferred rather than cloned: a view into a
    // larger buffer (a socket read, Node's pool) would otherwise be cloned whole.
    let transfer: ArrayBuffer[] = [];
    let job: InspectJob = { seq, key: JSON.stringify(inputs), inputs, input, id, engineMode, wantState };
    if (input.body !== undefined) {
      const body = new Uint8Array(input.body.byteLength);
      body.set(input.body);
      transfer = [body.buffer];
      job = { ...job, input: { ...input, body } };
    }
    return new Promise<InspectResult>((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage(job, transfer);
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
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
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
    this.#slots.push(slot);
    return slot;
  }
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
