import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditWriterStats } from './writer.js';

/**
 * Exposes an audit writer's counters, read at scrape time:
 * - `portcullis_audit_records_total{outcome="written"|"dropped"|"failed"}`: dropped = queue
 *   full (never written), failed = the batch's transaction failed
 * - `portcullis_audit_queue_length` and `portcullis_audit_chain_seq`
 * Returns a function that removes them.
 *
 * @example
 * const remove = registerAuditMetrics(metrics.registry, () => audit.writer.stats);
 */
export function registerAuditMetrics(registry: Registry, read: () => AuditWriterStats): () => void {
  const names = ['portcullis_audit_records_total', 'portcullis_audit_queue_length', 'portcullis_audit_chain_seq'];
  new Counter({
    name: names[0]!, help: 'Audit records by outcome: written (committed), dropped (queue full), failed (write transaction failed).', labelNames: ['outcome'], registers: [registry],
    collect() {
      const s = read();
      this.reset();
      this.inc({ outcome: 'written' }, s.written);
      this.inc({ outcome: 'dropped' }, s.dropped);
      this.inc({ outcome: 'failed' }, s.failed);
    },
  });
  new Gauge({ name: names[1]!, help: 'Audit records waiting in memory.', registers: [registry], collect() { this.set(read().queued); } });
  new Gauge({ name: names[2]!, help: 'Seq of the last committed record of this instance\'s chain.', registers: [registry], collect() { this.set(read().seq); } });
  return () => { for (const n of names) registry.removeSingleMetric(n); };
}
