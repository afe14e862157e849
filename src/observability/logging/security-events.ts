import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';
import { EventAggregator, type EventAggregatorOptions } from './event-aggregator.js';

/** Events that need the operator's action (a credential file that no longer loads): logged at error. */
const OPERATOR_ERRORS: ReadonlySet<string> = new Set(['key.file_failed']);

/**
 * Logs security events: every failure-type event (`authn.failure`, ...) at warn with its
 * reason, scheme, client and principal; success events (`*.success`) and events marked
 * `routine` (they did not change the outcome) at debug only, since there can be one per request. The reason never reaches the client; here is
 * where operators see it.
 *
 * Floods are aggregated (issue 12): per kind, client and operation, the first `burst` (5) warn
 * lines of each interval (10 s) are written, then one `security events suppressed` line per
 * interval with the exact count left out. Metrics, the audit trail and SIEM sinks subscribe on
 * their own and still see every event.
 *
 * Returns a function that unsubscribes (writing the pending summaries).
 *
 * @example
 * const stop = subscribeSecurityEventLog(logger);
 */
export function subscribeSecurityEventLog(logger: pino.Logger, opts: Omit<EventAggregatorOptions, 'summary'> = {}): () => void {
  const flood = new EventAggregator({
    ...opts,
    summary: (sample, suppressed, intervalMs) => logger.warn({ ...sample, reqId: undefined, suppressed, intervalSeconds: intervalMs / 1000 }, 'security events suppressed'),
  });
  const onEvent = (msg: unknown): void => {
    const m = msg as SecurityEventMessage;
    const fields = {
      event: m.kind, reason: m.reason, severity: m.severity, reqId: m.requestId, api: m.api, operation: m.operationId, client: m.client,
      ...(m.scheme === undefined ? {} : { scheme: m.scheme }),
      ...(m.principal === undefined ? {} : { principal: m.principal }),
      ...(m.stage === undefined ? {} : { stage: m.stage }),
      ...(m.ruleIds === undefined ? {} : { ruleIds: m.ruleIds }),
      ...(m.excerpt === undefined ? {} : { excerpt: m.excerpt }),
      ...(m.enforced === undefined ? {} : { enforced: m.enforced }),
      ...(m.sha256 === undefined ? {} : { sha256: m.sha256 }),
      ...(m.signature === undefined ? {} : { signature: m.signature }),
      ...(m.count === undefined ? {} : { count: m.count }),
    };
    // Successes, info-level events (e.g. allowed admin reads, which a dashboard polls) and events marked
    // routine (a WAF match below the anomaly threshold: one per request on some traffic) are debug only.
    if (m.kind.endsWith('.success') || m.severity === 'info' || m.routine === true) {
      if (logger.isLevelEnabled('debug')) logger.debug(fields, 'security event');
    } else if (OPERATOR_ERRORS.has(m.kind) || m.count !== undefined) {
      // Operator errors are rare and actionable; an aggregated event (overload.shed: at most one per
      // client and second) already is the summary, and folding it would lose its request count.
      if (m.count === undefined) logger.error(fields, 'security event');
      else logger.warn(fields, 'security event');
    } else if (flood.admit(`${m.kind}\u0000${m.client}\u0000${m.api}\u0000${m.operationId ?? ''}`, fields)) {
      logger.warn(fields, 'security event');
    }
  };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  return () => { diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent); flood.close(); };
}
