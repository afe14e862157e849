import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import { CHANNELS, type RequestEndMessage, type ShedBatchMessage } from '../channels.js';
import { createHeaderRedactor, createQueryRedactor, type HeaderMap } from './redact.js';

/** Options of {@link subscribeAccessLog}. */
export interface AccessLogOptions {
  /** Extra request header names whose values are replaced by `[REDACTED]` (credentials always are). */
  redact: string[];
  /**
   * Request headers to copy into each line (lower case). None by default: headers
   * are where credentials and personal data live. Redaction still applies to these.
   */
  logHeaders?: string[];
  /** Extra query parameter names whose values are redacted in `path`. */
  redactQuery?: string[];
}

// Bounds a single log line: the request head limit already caps these, but a log
// pipeline should not have to carry 16 KB of attacker-chosen path per request.
const MAX_PATH = 2048;
const MAX_UA = 512;

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function ms(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}

/**
 * Writes one `msg: 'request'` line per finished request (the `requestEnd` channel):
 * reqId, method, path (sensitive query values redacted), api, operationId, status,
 * latencyMs and upstreamMs (3 decimals), bytesIn, bytesOut, client, decision, code,
 * stage, ua. Lines for 5xx responses are written at `warn`, the rest at `info`. Requests shed
 * by overload protection are not logged one by one: one `msg: 'requests shed'` line (warn) per
 * second of shedding gives their exact count by method and client (ADR 0032).
 * Returns a function that unsubscribes.
 *
 * @example
 * const stop = subscribeAccessLog(logger, { redact: ['x-session'] });
 * // … later
 * stop();
 */
export function subscribeAccessLog(logger: pino.Logger, opts: AccessLogOptions): () => void {
  const redactHeaders = createHeaderRedactor(opts.redact);
  const redactPath = createQueryRedactor(opts.redactQuery ?? []);
  const logHeaders = (opts.logHeaders ?? []).map((h) => h.toLowerCase());

  const onEnd = (message: unknown): void => {
    // A throwing subscriber would surface as an uncaught exception: never let one escape.
    try {
      const m = message as RequestEndMessage;
      const line: Record<string, unknown> = {
        reqId: m.requestId,
        method: m.method,
        path: clip(redactPath(m.path), MAX_PATH),
        api: m.api,
        operationId: m.operationId,
        status: m.status,
        latencyMs: ms(m.durationS),
        upstreamMs: m.upstreamS === undefined ? undefined : ms(m.upstreamS),
        bytesIn: m.bytesIn,
        bytesOut: m.bytesOut,
        client: m.client,
        decision: m.decision,
        code: m.code,
        stage: m.stage,
        ua: m.userAgent === undefined ? undefined : clip(m.userAgent, MAX_UA),
      };
      if (logHeaders.length > 0) {
        const picked: HeaderMap = {};
        for (const name of logHeaders) picked[name] = m.headers[name];
        line.headers = redactHeaders(picked);
      }
      if (m.status >= 500) logger.warn(line, 'request');
      else logger.info(line, 'request');
    } catch { /* logging must never break a request */ }
  };
  // Requests shed by overload protection: one line per interval with exact counts (ADR 0032).
  const onShed = (message: unknown): void => {
    try {
      const m = message as ShedBatchMessage;
      logger.warn({
        status: 503, decision: 'refused', code: 'PCL_OVERLOADED', stage: 'overload', count: m.count,
        from: new Date(m.fromMs).toISOString(), to: new Date(m.toMs).toISOString(), byMethod: m.byMethod, byClient: Object.fromEntries(m.byClient),
      }, 'requests shed');
    } catch { /* logging must never break a request */ }
  };
  diagnostics_channel.subscribe(CHANNELS.requestEnd, onEnd);
  diagnostics_channel.subscribe(CHANNELS.overloadShed, onShed);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.requestEnd, onEnd);
    diagnostics_channel.unsubscribe(CHANNELS.overloadShed, onShed);
  };
}
