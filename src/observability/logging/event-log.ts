import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import {
  type AdminActionMessage,
  CHANNELS,
  type CircuitStateMessage,
  type ClientErrorMessage,
  type ConfigReloadMessage,
  type StageDecisionMessage,
  type StageErrorMessage,
  type UpstreamErrorMessage,
  type WafRuleSetMessage,
} from '../channels.js';

// pino's err serializer gives type, message, stack and the cause chain for real errors.
function describeError(error: unknown): unknown {
  return error instanceof Error ? error : { message: String(error) };
}

/**
 * Logs the gateway's operational events (everything but the per-request access line):
 *
 * | channel        | level                                  | msg                       |
 * |----------------|----------------------------------------|---------------------------|
 * | stage error    | error, with `stage` and `err` (message, stack) | `stage failed`    |
 * | config reload  | info when ok, error when failed (`error`)| `config reloaded` / `config reload failed` |
 * | upstream error | warn, with `api`, `code`, `reason`     | `upstream error`          |
 * | WAF rule set   | warn per pattern not run as written (`ruleId`, `file`, `line`, `reason`) | `WAF rule disabled: ...` / `WAF rule approximated ...` |
 * | circuit state  | warn when open / half-open, info when closed | `circuit state changed` |
 * | client error   | debug (parser errors can come in floods) | `client error`          |
 * | stage decision | debug                                  | `stage decision`          |
 *
 * The two debug channels are subscribed only when debug is enabled at subscription time.
 *
 * Returns a function that unsubscribes from all of them.
 *
 * @example
 * const stop = subscribeEventLog(logger);
 */
export function subscribeEventLog(logger: pino.Logger): () => void {
  const handlers: [string, (m: unknown) => void][] = [
    [CHANNELS.stageError, (msg) => {
      const m = msg as StageErrorMessage;
      logger.error({ reqId: m.requestId, stage: m.stage, err: describeError(m.error) }, 'stage failed');
    }],
    [CHANNELS.adminAction, (msg) => {
      const m = msg as AdminActionMessage;
      logger.info({ action: m.action, ok: m.ok, peer: m.peer, reqId: m.requestId }, 'admin action');
    }],
    [CHANNELS.configReload, (msg) => {
      const m = msg as ConfigReloadMessage;
      const durationMs = Math.round(m.durationMs * 1e3) / 1e3;
      if (m.ok) logger.info({ reason: m.reason, durationMs }, 'config reloaded');
      else logger.error({ reason: m.reason, error: m.error, durationMs }, 'config reload failed');
    }],
    [CHANNELS.wafRuleSet, (msg) => {
      // Issue 6: a pattern RE2 cannot express never runs; the operator must see which rule lost what.
      for (const r of (msg as WafRuleSetMessage).reports) {
        logger.warn({ ruleId: r.ruleId, file: r.file, line: r.line, kind: r.kind, reason: r.reason },
          r.kind === 'disabled' ? 'WAF rule disabled: its pattern cannot run in linear time' : 'WAF rule approximated for linear-time matching');
      }
    }],
    [CHANNELS.upstreamError, (msg) => {
      const m = msg as UpstreamErrorMessage;
      logger.warn({ reqId: m.requestId, api: m.api, code: m.code, reason: m.reason }, 'upstream error');
    }],
    [CHANNELS.circuitState, (msg) => {
      const m = msg as CircuitStateMessage;
      // Closing is the recovery: worth a line, not an alert.
      if (m.state === 'closed') logger.info({ api: m.api, state: m.state }, 'circuit state changed');
      else logger.warn({ api: m.api, state: m.state }, 'circuit state changed');
    }],
  ];
  // Debug-only channels are left unsubscribed otherwise, so publishers skip building messages.
  if (logger.isLevelEnabled('debug')) handlers.push(
    [CHANNELS.clientError, (msg) => {
      const m = msg as ClientErrorMessage;
      logger.debug({ code: m.code, peer: m.peer }, 'client error');
    }],
    [CHANNELS.stageDecision, (msg) => {
      const m = msg as StageDecisionMessage;
      logger.debug({ reqId: m.requestId, stage: m.stage, decision: m.decision, code: m.code, enforced: m.enforced }, 'stage decision');
    }],
  );
  // A throwing subscriber would surface as an uncaught exception: never let one escape.
  const safe = handlers.map(([name, fn]) => [name, (m: unknown) => { try { fn(m); } catch { /* never break the publisher */ } }] as const);
  for (const [name, fn] of safe) diagnostics_channel.subscribe(name, fn);
  return () => { for (const [name, fn] of safe) diagnostics_channel.unsubscribe(name, fn); };
}
