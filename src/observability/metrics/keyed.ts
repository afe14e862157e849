import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration, type LabelValues } from 'prom-client';

/*
 * Request-end metrics, counted per request without prom-client's per-call work (checking every
 * label name, then hashing the label object into a string): the caller names a series by a key it
 * builds cheaply from values it already has, and the labels object is built once per series.
 * The series stay bounded because their labels are (config-defined names, stable codes, a fixed
 * method set: see metrics.ts). ADR 0018.
 */

interface Pending<T extends string> { readonly labels: LabelValues<T>; n: number }

/**
 * A prom-client Counter whose increments by key are kept in a Map and added to it when it is
 * read (a scrape, or a cluster worker answering the primary): the exposition is prom-client's own.
 *
 * @example
 * const c = new KeyedCounter({ name: 'x_total', help: 'x', labelNames: ['api'], registers: [] });
 * c.incKeyed('shop', () => ({ api: 'shop' }));
 */
export class KeyedCounter<T extends string> extends Counter<T> {
  // Not a #field: prom-client's constructor calls reset() before this class's fields exist.
  private readonly pending = new Map<string, Pending<T>>();

  /** `config.collect`, if any, runs first on every read (e.g. to add counts kept elsewhere with `incKeyed`). */
  constructor(config: CounterConfiguration<T>) {
    const before = config.collect;
    super({
      ...config,
      collect() {
        // `this` is the counter (prom-client calls collect on the metric).
        if (before !== undefined) void before.call(this as unknown as Counter<T>);
        (this as unknown as KeyedCounter<T>).#flush();
      },
    });
  }

  /** Adds `n` (default 1) to the series `key`; `labels` is called only the first time the key is seen. */
  incKeyed(key: string, labels: () => LabelValues<T>, n = 1): void {
    const p = this.pending.get(key);
    if (p !== undefined) p.n += n;
    else this.pending.set(key, { labels: labels(), n });
  }

  override reset(): void {
    super.reset();
    (this.pending as Map<string, Pending<T>> | undefined)?.clear();
  }

  #flush(): void {
    for (const p of this.pending.values()) {
      if (p.n === 0) continue;
      this.inc(p.labels, p.n);
      p.n = 0;
    }
  }
}

interface Series<T extends string> { readonly labels: LabelValues<T>; readonly buckets: Float64Array; sum: number; count: number }

/**
 * A prom-client Histogram that keeps its series itself, by key: an observation is a Map lookup,
 * a bucket search and three additions. Read (scrape, cluster aggregation) it reports exactly
 * what prom-client's Histogram reports for the same observations.
 *
 * @example
 * const h = new KeyedHistogram({ name: 'x_seconds', help: 'x', labelNames: ['api'], buckets: [0.1, 1], registers: [] });
 * h.observeKeyed('shop', () => ({ api: 'shop' }), 0.05);
 */
export class KeyedHistogram<T extends string> extends Histogram<T> {
  // Not a #field: prom-client's constructor calls reset() before this class's fields exist.
  private readonly series = new Map<string, Series<T>>();
  readonly #bounds: readonly number[];

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** Observes `value` in the series `key`; `labels` is called only the first time the key is seen. */
  observeKeyed(key: string, labels: () => LabelValues<T>, value: number): void {
    if (!Number.isFinite(value)) return;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: labels(), buckets: new Float64Array(this.#bounds.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) { s.buckets[i]! += 1; break; }
    }
    s.sum += value;
    s.count += 1;
  }

  override reset(): void {
    super.reset();
    (this.series as Map<string, Series<T>> | undefined)?.clear();
  }

  /** What the registry reads for the text exposition (prom-client's shape: series labels as `sharedLabels`). */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: unknown[]; aggregator: string }> {
    const self = this as unknown as { name: string; help: string; aggregator: string };
    const values: unknown[] = [];
    const bucket = `${self.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: this.#bounds[i] }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${self.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${self.name}_count`, exemplar: undefined },
      );
    }
    return { name: self.name, help: self.help, type: 'histogram', values, aggregator: self.aggregator };
  }
}
