import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeliveryStats } from './queue.js';

/**
 * Registers the delivery metrics of a set of named queues, read from their counters at
 * scrape time (nothing is counted on the request path):
 * - `<prefix>_events_total{<label>,outcome="sent"|"dropped_overflow"|"dropped_failed"}`
 * - `<prefix>_retries_total{<label>}` and `<prefix>_queue_length{<label>}`
 * Returns a function that removes them.
 *
 * @example
 * const remove = registerDeliveryMetrics(registry, 'portcullis_sink', 'sink', () => [['siem', q.stats]]);
 */
export function registerDeliveryMetrics(registry: Registry, prefix: string, label: string, read: () => readonly (readonly [string, DeliveryStats])[]): () => void {
  const names = [`${prefix}_events_total`, `${prefix}_retries_total`, `${prefix}_queue_length`];
  // Counters set from absolute values: reset then inc keeps them monotonic as the stats are.
  new Counter({
    name: names[0]!, help: 'Events by delivery outcome: sent, dropped_overflow (queue full), dropped_failed (retries exhausted).', labelNames: [label, 'outcome'], registers: [registry],
    collect() {
      this.reset();
      for (const [name, s] of read()) {
        this.inc({ [label]: name, outcome: 'sent' }, s.sent);
        this.inc({ [label]: name, outcome: 'dropped_overflow' }, s.droppedOverflow);
        this.inc({ [label]: name, outcome: 'dropped_failed' }, s.droppedFailed);
      }
    },
  });
  new Counter({
    name: names[1]!, help: 'Delivery retries.', labelNames: [label], registers: [registry],
    collect() { this.reset(); for (const [name, s] of read()) this.inc({ [label]: name }, s.retries); },
  });
  new Gauge({
    name: names[2]!, help: 'Events waiting in memory.', labelNames: [label], registers: [registry],
    collect() { for (const [name, s] of read()) this.set({ [label]: name }, s.queued); },
  });
  return () => { for (const n of names) registry.removeSingleMetric(n); };
}
