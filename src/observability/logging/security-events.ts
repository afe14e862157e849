import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';

/**
 * Logs security events: every failure-type event (`authn.failure`, ...) at warn with its
 * reason, scheme, client and principal; success events (`*.success`) and events marked
 * `routine` (they did not change the outcome) at debug only, since there can be one per request. The reason never reaches the client; here is
 * where operators see it.
 *
 * Returns a function that unsubscribes.
 *
 * @example
 * const stop = subscribeSecurityEventLog(logger);
 */
export function subscribeSecurityEventLog(logger: pino.Logger): () => void {
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
    };
    // Successes, info-level events (e.g. allowed admin reads, which a dashboard polls) and events marked
    // routine (a WAF match below the anomaly threshold: one per request on some traffic) are debug only.
    if (m.kind.endsWith('.success') || m.severity === 'info' || m.routine === true) {
      if (logger.isLevelEnabled('debug')) logger.debug(fields, 'security event');
    } else {
      logger.warn(fields, 'security event');
    }
  };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  return () => { diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent); };
}
