import diagnostics_channel from 'node:diagnostics_channel';
import { Counter, Histogram, register, type Registry } from 'prom-client';
import { CHANNELS, type RateLimitStoreMessage, type RiskScoreMessage } from '../channels.js';
import { KeyedHistogram } from './keyed.js';

/** Store latency buckets: a memory check takes microseconds, a Redis round trip about a millisecond, a timeout 1 s. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, 2.5];
const SCORE_BUCKETS = [5, 10, 20, 50, 100, 200, 500, 1000];
const MAX_KINDS = 32;

/**
 * Metrics of the rate-limit store and of risk scores:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `ratelimit_store_duration_seconds` | histogram of store calls | backend, result (ok / error) |
 * | `ratelimit_store_errors_total` | counter | backend |
 * | `ratelimit_risk_tightened_total` | counter: store calls with limits tightened by a risk band | band |
 * | `risk_raises_total` | counter: risk scores raised by security events | subject (ip / principal), kind |
 * | `risk_score` | histogram of scores after a raise | subject |
 *
 * Labels are bounded: backends are three names, bands at most ten, kinds the first 32 seen (then `other`).
 * Returns a function that unsubscribes and removes the metrics.
 *
 * @example
 * const stop = subscribeRateLimitMetrics(metrics.registry);
 */
export function subscribeRateLimitMetrics(registry: Registry = register, prefix = 'portcullis_'): () => void {
  const names = ['ratelimit_store_duration_seconds', 'ratelimit_store_errors_total', 'ratelimit_risk_tightened_total', 'risk_raises_total', 'risk_score'].map((n) => prefix + n);
  // One observation per limited request: counted by key, without prom-client's per-call label work (ADR 0018).
  const duration = new KeyedHistogram({ name: names[0]!, help: 'Rate-limit store calls (one per limited request and phase), by back-end and result.', labelNames: ['backend', 'result'], buckets: STORE_BUCKETS, registers: [registry] });
  const errors = new Counter({ name: names[1]!, help: 'Rate-limit store calls that failed (Redis unreachable or timed out); the failure policy applied.', labelNames: ['backend'], registers: [registry] });
  const tightened = new Counter({ name: names[2]!, help: 'Rate-limit checks whose limits a risk band tightened.', labelNames: ['band'], registers: [registry] });
  const raises = new Counter({ name: names[3]!, help: 'Risk score raises by security events.', labelNames: ['subject', 'kind'], registers: [registry] });
  const scores = new Histogram({ name: names[4]!, help: 'Client risk scores after a raise.', labelNames: ['subject'], buckets: SCORE_BUCKETS, registers: [registry] });
  const kinds = new Set<string>();
  const kindLabel = (k: string) => {
    if (kinds.has(k)) return k;
    if (kinds.size >= MAX_KINDS) return 'other';
    kinds.add(k);
    return k;
  };
  const onStore = (msg: unknown): void => {
    const m = msg as RateLimitStoreMessage;
    const result = m.ok ? 'ok' : 'error';
    duration.observeKeyed(`${m.backend}\u0000${result}`, () => ({ backend: m.backend, result }), m.durationS);
    if (!m.ok) errors.inc({ backend: m.backend });
    if (m.riskBand >= 0) tightened.inc({ band: String(m.riskBand) });
  };
  const onRisk = (msg: unknown): void => {
    const m = msg as RiskScoreMessage;
    raises.inc({ subject: m.subject, kind: kindLabel(m.kind) });
    scores.observe({ subject: m.subject }, m.score);
  };
  diagnostics_channel.subscribe(CHANNELS.rateLimitStore, onStore);
  diagnostics_channel.subscribe(CHANNELS.riskScore, onRisk);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.rateLimitStore, onStore);
    diagnostics_channel.unsubscribe(CHANNELS.riskScore, onRisk);
    for (const n of names) registry.removeSingleMetric(n);
  };
}
