import diagnostics_channel from 'node:diagnostics_channel';
import { Counter, register, type Registry } from 'prom-client';
import { CHANNELS, type AnomalyStateMessage } from '../channels.js';

/**
 * Metrics of the anomaly stage's shared client state (docs/reference/anomaly.md):
 *
 * | metric | type | meaning |
 * |---|---|---|
 * | `anomaly_state_conflicts_total` | counter | compare-and-set writes that found another instance's value and merged into it |
 * | `anomaly_state_lost_updates_total` | counter | request updates given up: the store failed, or the state was forgotten while its writes still conflicted |
 *
 * No labels. Conflicts are the price of sharing state and cost a round trip each; lost updates
 * are requests the detectors never counted, which should stay at 0.
 * Returns a function that unsubscribes and removes the metrics.
 *
 * @example
 * const stop = subscribeAnomalyMetrics(metrics.registry);
 */
export function subscribeAnomalyMetrics(registry: Registry = register, prefix = 'portcullis_'): () => void {
  const names = ['anomaly_state_conflicts_total', 'anomaly_state_lost_updates_total'].map((n) => prefix + n);
  const conflicts = new Counter({ name: names[0]!, help: 'Anomaly client-state writes that found another instance\'s value and merged into it (one more round trip each).', registers: [registry] });
  const lost = new Counter({ name: names[1]!, help: 'Anomaly request updates given up (store failure, or a state forgotten while its writes conflicted): requests the detectors never counted.', registers: [registry] });
  const onState = (msg: unknown): void => {
    const m = msg as AnomalyStateMessage;
    (m.outcome === 'conflict' ? conflicts : lost).inc(m.count);
  };
  diagnostics_channel.subscribe(CHANNELS.anomalyState, onState);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.anomalyState, onState);
    for (const n of names) registry.removeSingleMetric(n);
  };
}
