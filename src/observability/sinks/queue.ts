/** Counters of one delivery queue. */
export interface DeliveryStats {
  readonly queued: number;
  readonly sent: number;
  /** Items dropped because the queue was full. */
  readonly droppedOverflow: number;
  /** Items dropped after the last retry failed. */
  readonly droppedFailed: number;
  readonly retries: number;
}

/** Tuning of a delivery queue. */
export interface DeliveryQueueOptions<T> {
  /** Delivers one batch; rejects (or times out) to ask for a retry. */
  readonly send: (batch: readonly T[]) => Promise<void>;
  /** Items held in memory at most; beyond, new items are dropped and counted. */
  readonly queueLimit: number;
  readonly batchSize: number;
  /** Longest wait before a partial batch goes out. */
  readonly flushIntervalMs: number;
  /** Attempts after the first; then the batch is dropped and counted. */
  readonly maxRetries: number;
  /** First backoff; doubles per attempt with full jitter, capped at maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** One attempt longer than this counts as failed: a receiver that hangs cannot stall the queue. */
  readonly timeoutMs: number;
  /** Called when an attempt times out, so the sink can drop a stuck connection. */
  readonly onTimeout?: () => void;
  /** Told about failures, for rate-limited logging. */
  readonly onError?: (err: unknown) => void;
  readonly random?: () => number;
}

/**
 * A bounded, batching queue with retries and exponential backoff in front of one slow or
 * unreliable receiver. `offer` never blocks and never throws: when the queue is full the
 * item is dropped and counted, so a sink that is down costs the request path a failed array
 * push at most. One batch is in flight at a time.
 *
 * @example
 * const q = new DeliveryQueue({ send: (b) => post(b), queueLimit: 10_000, batchSize: 100, flushIntervalMs: 200,
 *   maxRetries: 5, backoffMs: 200, maxBackoffMs: 30_000, timeoutMs: 5_000 });
 * q.offer(event);
 */
export class DeliveryQueue<T> {
  readonly #o: DeliveryQueueOptions<T>;
  // A ring would avoid shift(); batches are small and shift on V8 arrays under ~50k is cheap enough.
  #items: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;
  #sent = 0;
  #droppedOverflow = 0;
  #droppedFailed = 0;
  #retries = 0;

  constructor(o: DeliveryQueueOptions<T>) {
    this.#o = o;
  }

  get stats(): DeliveryStats {
    return { queued: this.#items.length, sent: this.#sent, droppedOverflow: this.#droppedOverflow, droppedFailed: this.#droppedFailed, retries: this.#retries };
  }

  /** Queues an item; false when it was dropped (queue full or closed). */
  offer(item: T): boolean {
    if (this.#closed || this.#items.length >= this.#o.queueLimit) {
      this.#droppedOverflow += 1;
      return false;
    }
    this.#items.push(item);
    if (this.#inFlight === undefined) {
      if (this.#items.length >= this.#o.batchSize) this.#kick(0);
      else if (this.#timer === undefined) this.#kick(this.#o.flushIntervalMs);
    }
    return true;
  }

  #kick(delayMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight === undefined && this.#items.length > 0) this.#inFlight = this.#drain().finally(() => { this.#inFlight = undefined; this.#after(); });
    }, delayMs);
    this.#timer.unref();
  }

  #after(): void {
    if (this.#items.length === 0) return;
    this.#kick(this.#items.length >= this.#o.batchSize || this.#closed ? 0 : this.#o.flushIntervalMs);
  }

  async #drain(): Promise<void> {
    const batch = this.#items.splice(0, this.#o.batchSize);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#attempt(batch);
        this.#sent += batch.length;
        return;
      } catch (err) {
        this.#o.onError?.(err);
        if (attempt >= this.#o.maxRetries || this.#closed) {
          this.#droppedFailed += batch.length;
          return;
        }
        this.#retries += 1;
        const cap = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** attempt);
        await sleep(Math.round((this.#o.random ?? Math.random)() * cap));
      }
    }
  }

  #attempt(batch: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#o.onTimeout?.();
        reject(new Error(`delivery timed out after ${this.#o.timeoutMs} ms`));
      }, this.#o.timeoutMs);
      timer.unref();
      this.#o.send(batch).then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  /**
   * Delivers what is queued (one attempt per batch, no retries) within `graceMs`, then drops
   * the rest as failed. Used at shutdown.
   */
  async close(graceMs = 2_000): Promise<void> {
    this.#closed = true;
    // Whatever waits for its flush interval goes now.
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    const deadline = Date.now() + graceMs;
    while ((this.#items.length > 0 || this.#inFlight !== undefined) && Date.now() < deadline) {
      if (this.#inFlight === undefined && this.#timer === undefined) this.#kick(0);
      // Referenced, unlike the delivery timers: whoever awaits close() keeps the process up until it is done.
      await new Promise((r) => setTimeout(r, 10));
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#droppedFailed += this.#items.length;
    this.#items = [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => { setTimeout(r, ms).unref(); });
}
