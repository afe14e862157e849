import type { SecurityEventMessage } from '../channels.js';
import { EventAggregator } from '../logging/event-aggregator.js';
import type { DeliveryConfig } from './schema.js';

/**
 * The events a sink receives, sampled when its config asks (issue 12, item 5): per kind, client,
 * API and operation, the first `burst` of each interval pass; the rest are counted and, when the
 * interval ends, one `events.suppressed` summary (reason = their kind, `suppressed` = the count)
 * stands in for them. Without `sampling` every event passes. Returns the gate and a close that
 * emits the pending summaries.
 *
 * @example
 * const s = sampledOffer(cfg, (e) => queue.offer(e));
 * s.offer(event); ... s.close();
 */
export function sampledOffer(c: Pick<DeliveryConfig, 'sampling'>, offer: (e: SecurityEventMessage) => void): { offer: (e: SecurityEventMessage) => void; close: () => void } {
  if (c.sampling === undefined) return { offer, close: () => {} };
  const agg = new EventAggregator({
    burst: c.sampling.burst,
    intervalMs: c.sampling.intervalMs,
    maxKeys: c.sampling.maxKeys,
    overflowSample: (f) => ({ ...f, client: '*', api: '*', operationId: undefined, principal: undefined }),
    summary: (sample, suppressed) => offer(summaryOf(sample as unknown as SecurityEventMessage, suppressed)),
  });
  return {
    offer: (e) => {
      if (agg.admit(`${e.kind}\u0000${e.client}\u0000${e.api}\u0000${e.operationId ?? ''}`, e as unknown as Record<string, unknown>)) offer(e);
    },
    close: () => agg.close(),
  };
}

/** The summary event: who and what was flooded, how many were left out; no per-request detail. */
function summaryOf(sample: SecurityEventMessage, suppressed: number): SecurityEventMessage {
  return {
    kind: 'events.suppressed', reason: sample.kind, requestId: '', api: sample.api, operationId: sample.operationId, client: sample.client,
    ...(sample.principal === undefined ? {} : { principal: sample.principal }),
    ...(sample.stage === undefined ? {} : { stage: sample.stage }),
    severity: sample.severity, suppressed, time: new Date().toISOString(),
  };
}
