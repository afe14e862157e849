/** Options of {@link EventAggregator}. */
export interface EventAggregatorOptions {
  /** Events of one key logged one by one per interval before the rest are only counted. Default 5. */
  readonly burst?: number;
  /** Length of an interval; the summary of a key is written when its interval ends. Default 10,000 ms. */
  readonly intervalMs?: number;
  /** Keys tracked at once; beyond this, new keys share one overflow key ("*"). Default 10,000. */
  readonly maxKeys?: number;
  /** The sample kept for the overflow key; default `{ event, overflow: true }` from the first event's fields. */
  readonly overflowSample?: (fields: Record<string, unknown>) => Record<string, unknown>;
  /** Writes one summary: the key's first event fields and how many events were not logged. */
  readonly summary: (sample: Record<string, unknown>, suppressed: number, intervalMs: number) => void;
}

interface Window { readonly sample: Record<string, unknown>; logged: number; suppressed: number }

const OVERFLOW = '*';

/**
 * Decides, per key (kind, client, operation), which of a flood of repeated events reach the log:
 * the first `burst` of each interval, then one summary line per interval with the exact number
 * left out. Bounded in memory; summaries of the current interval are written by `flush()` too.
 *
 * @example
 * const agg = new EventAggregator({ summary: (s, n) => logger.warn({ ...s, suppressed: n }, 'security events suppressed') });
 * if (agg.admit(`${m.kind}|${m.client}|${m.api}|${m.operationId}`, fields)) logger.warn(fields, 'security event');
 */
export class EventAggregator {
  readonly #burst: number;
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #summary: EventAggregatorOptions['summary'];
  readonly #overflowSample: (fields: Record<string, unknown>) => Record<string, unknown>;
  #windows = new Map<string, Window>();
  readonly #timer: NodeJS.Timeout;

  constructor(o: EventAggregatorOptions) {
    this.#burst = o.burst ?? 5;
    this.#intervalMs = o.intervalMs ?? 10_000;
    this.#maxKeys = o.maxKeys ?? 10_000;
    this.#summary = o.summary;
    this.#overflowSample = o.overflowSample ?? ((fields) => ({ event: fields['event'], overflow: true }));
    this.#timer = setInterval(() => this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** True when this event should be logged; false when it is only counted for the summary. */
  admit(key: string, fields: Record<string, unknown>): boolean {
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxKeys) key = OVERFLOW;
      w = this.#windows.get(key);
      if (w === undefined) {
        w = { sample: key === OVERFLOW ? this.#overflowSample(fields) : fields, logged: 0, suppressed: 0 };
        this.#windows.set(key, w);
      }
    }
    if (w.logged < this.#burst) { w.logged += 1; return true; }
    w.suppressed += 1;
    return false;
  }

  /** Ends the interval: writes one summary per key with suppressed events, forgets every key. */
  flush(): void {
    const ended = this.#windows;
    this.#windows = new Map();
    for (const w of ended.values()) if (w.suppressed > 0) this.#summary(w.sample, w.suppressed, this.#intervalMs);
  }

  /** Writes the pending summaries and stops the interval timer. */
  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}
