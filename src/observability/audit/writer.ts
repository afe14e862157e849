import { signCheckpoint, type AuditCheckpoint, type AuditSigner } from './checkpoint.js';
import { chainRecord, GENESIS_HASH, type AuditRecordInput, type StoredAuditRecord } from './record.js';
import { redactDetail } from './redact.js';
import type { AuditStore, ChainHead } from './store.js';

/** Tuning of the writer; see docs/reference/audit.md for the guarantees. */
export interface AuditWriterOptions {
  readonly store: AuditStore;
  readonly instance: string;
  readonly signer: AuditSigner;
  /** Records per transaction; a full batch is flushed at once. Default 100. */
  readonly batchSize?: number;
  /** Longest wait before a partial batch is flushed. Default 50 ms. */
  readonly flushIntervalMs?: number;
  /** Records waiting in memory; beyond this new records are dropped and counted. Default 10,000. */
  readonly queueLimit?: number;
  /** A signed checkpoint at least every this many records. Default 1,000. */
  readonly checkpointEvery?: number;
  /** And at least this often while records arrive. Default 60,000 ms. */
  readonly checkpointIntervalMs?: number;
  /** Extra detail keys to redact. */
  readonly redactKeys?: readonly string[];
  /** Called when a record is dropped (queue full) or a batch fails to write. */
  readonly onProblem?: (what: 'dropped' | 'write-failed', info: { count: number; error?: unknown }) => void;
  readonly now?: () => Date;
}

/** Counters of a writer. */
export interface AuditWriterStats { readonly queued: number; readonly written: number; readonly dropped: number; readonly failed: number; readonly seq: number }

interface Pending { readonly input: AuditRecordInput; readonly time: string; readonly resolve: (seq: number) => void; readonly reject: (e: unknown) => void }

/** Thrown (as a rejection) by `append` when the queue is full. */
export class AuditDroppedError extends Error {
  override readonly name = 'AuditDroppedError';
}

const NOOP = () => {};

/**
 * The single writer of one instance's chain: a bounded queue, flushed in batches by a timer
 * (or at once when a batch is full), each batch one transaction with an optional signed
 * checkpoint. Nothing here ever blocks a caller: a full queue drops and counts.
 *
 * @example
 * const writer = await AuditWriter.open({ store, instance: 'gw-1', signer });
 * const seq = await writer.append({ kind: 'admin.reload', principal: 'ops' }); // durable now
 * await writer.close();
 */
export class AuditWriter {
  readonly #o: Required<Omit<AuditWriterOptions, 'onProblem'>> & Pick<AuditWriterOptions, 'onProblem'>;
  readonly #queue: Pending[] = [];
  #head: ChainHead;
  #lastCheckpoint: { seq: number; at: number };
  #timer: NodeJS.Timeout | undefined;
  #cpTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #written = 0;
  #dropped = 0;
  #failed = 0;

  private constructor(o: AuditWriterOptions, head: ChainHead, lastCp: AuditCheckpoint | undefined) {
    this.#o = {
      batchSize: 100, flushIntervalMs: 50, queueLimit: 10_000, checkpointEvery: 1_000, checkpointIntervalMs: 60_000,
      redactKeys: [], now: () => new Date(), ...o,
    };
    this.#head = head;
    this.#lastCheckpoint = { seq: lastCp?.seq ?? 0, at: this.#o.now().getTime() };
    this.#cpTimer = setInterval(() => { void this.#idleCheckpoint(); }, this.#o.checkpointIntervalMs);
    this.#cpTimer.unref();
  }

  /** Initialises the store and resumes the instance's chain from its head. */
  static async open(o: AuditWriterOptions): Promise<AuditWriter> {
    await o.store.init();
    const head = (await o.store.head(o.instance)) ?? { seq: 0, hash: GENESIS_HASH };
    const lastCp = (await o.store.checkpoints(o.instance)).at(-1);
    return new AuditWriter(o, head, lastCp);
  }

  get stats(): AuditWriterStats {
    return { queued: this.#queue.length, written: this.#written, dropped: this.#dropped, failed: this.#failed, seq: this.#head.seq };
  }

  /**
   * Queues a record; resolves with its seq once its batch is committed (acknowledged),
   * rejects with AuditDroppedError when the queue is full or with the store's error.
   */
  append(input: AuditRecordInput): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.#enqueue(input, resolve, reject)) reject(new AuditDroppedError('audit queue full'));
    });
  }

  /**
   * `append` without the batch wait: the record's batch is flushed at once. For records that
   * must be committed before the change they describe is acknowledged (admin changes).
   */
  commit(input: AuditRecordInput): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.#enqueue(input, resolve, reject, true)) reject(new AuditDroppedError('audit queue full'));
    });
  }

  /** Fire-and-forget `append`: false when the record was dropped. */
  offer(input: AuditRecordInput): boolean {
    return this.#enqueue(input, NOOP, NOOP);
  }

  #enqueue(input: AuditRecordInput, resolve: (seq: number) => void, reject: (e: unknown) => void, now = false): boolean {
    if (this.#closed || this.#queue.length >= this.#o.queueLimit) {
      this.#dropped += 1;
      this.#o.onProblem?.('dropped', { count: this.#dropped });
      return false;
    }
    this.#queue.push({ input, time: input.time ?? this.#o.now().toISOString(), resolve, reject });
    if (now || this.#queue.length >= this.#o.batchSize) this.#schedule(0);
    else this.#schedule(this.#o.flushIntervalMs);
    return true;
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.flush(); }, ms);
  }

  /** Writes everything queued so far; resolves when it is committed. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => { this.#flushing = undefined; });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#o.batchSize);
      let prev = this.#head.hash;
      const records: StoredAuditRecord[] = batch.map((p, i) => {
        const { time: _t, detail, ...rest } = p.input;
        const r = chainRecord(prev, { ...rest, seq: this.#head.seq + i + 1, time: p.time, instance: this.#o.instance, detail: redactDetail(detail, this.#o.redactKeys) });
        prev = r.hash;
        return r;
      });
      const last = records.at(-1)!;
      const now = this.#o.now();
      const due = last.seq - this.#lastCheckpoint.seq >= this.#o.checkpointEvery || now.getTime() - this.#lastCheckpoint.at >= this.#o.checkpointIntervalMs;
      const cp = due ? this.#checkpointFor(last.seq, last.hash, now) : undefined;
      try {
        await this.#o.store.append(records, cp);
      } catch (error) {
        // The head is unchanged, so later batches still chain to the last committed record.
        this.#failed += batch.length;
        this.#o.onProblem?.('write-failed', { count: batch.length, error });
        for (const p of batch) p.reject(error);
        continue;
      }
      this.#head = { seq: last.seq, hash: last.hash };
      if (cp !== undefined) this.#lastCheckpoint = { seq: cp.seq, at: now.getTime() };
      this.#written += batch.length;
      batch.forEach((p, i) => p.resolve(records[i]!.seq));
    }
  }

  #checkpointFor(seq: number, hash: string, now: Date): AuditCheckpoint {
    return signCheckpoint(this.#o.signer, { instance: this.#o.instance, seq, hash, time: now.toISOString(), kind: 'periodic' });
  }

  async #idleCheckpoint(): Promise<void> {
    await this.flush();
    if (this.#head.seq <= this.#lastCheckpoint.seq) return;
    const now = this.#o.now();
    const cp = this.#checkpointFor(this.#head.seq, this.#head.hash, now);
    try {
      await this.#o.store.append([], cp);
      this.#lastCheckpoint = { seq: cp.seq, at: now.getTime() };
    } catch (error) {
      this.#o.onProblem?.('write-failed', { count: 0, error });
    }
  }

  /** Writes a checkpoint for the current head now (after flushing). */
  checkpoint(): Promise<void> {
    return this.#idleCheckpoint();
  }

  /** Flushes, writes a final checkpoint, closes the store. Later appends are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    clearInterval(this.#cpTimer);
    await this.#idleCheckpoint();
    await this.#o.store.close();
  }
}
