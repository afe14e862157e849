import diagnostics_channel from 'node:diagnostics_channel';
import {
  CHANNELS, publishSecurityEvent,
  type AdminActionMessage, type ConfigReloadMessage, type SecurityEventInput, type UpstreamErrorMessage,
} from './channels.js';

/** The reason of an upstream error event: the public error code, lower-cased without its prefix (bounded by the catalogue). */
function upstreamReason(code: string): string {
  return code.replace(/^PCL_UPSTREAM_/, '').toLowerCase();
}

/** Maps an upstream error to `upstream.error`. */
export function eventFromUpstreamError(m: UpstreamErrorMessage): SecurityEventInput {
  return {
    kind: 'upstream.error', reason: upstreamReason(m.code), requestId: m.requestId, api: m.api, operationId: m.operationId,
    // A refused upstream certificate may be an interception of the gateway's own traffic; a refused
    // upstream address, a rebinding or SSRF attempt.
    client: m.client ?? '', severity: m.code === 'PCL_UPSTREAM_TLS_FAILED' || m.code === 'PCL_UPSTREAM_ADDRESS_REFUSED' ? 'high' : 'low', stage: 'proxy',
  };
}

/** Maps a config reload to `config.reload` (applied) or `config.reload_failed`; the reason is what triggered it. */
export function eventFromConfigReload(m: ConfigReloadMessage): SecurityEventInput {
  return {
    kind: m.ok ? 'config.reload' : 'config.reload_failed', reason: m.reason, requestId: '', api: '', operationId: undefined,
    client: '', severity: m.ok ? 'info' : 'medium', ...(m.error === undefined ? {} : { excerpt: m.error.slice(0, 200) }),
  };
}

/**
 * Maps an allowed admin call that adds or removes a revocation (action `revocation.<verb>`)
 * to `revocation.change`. The call itself is already a security event (`admin.read`,
 * `admin.action`, `admin.denied`): the admin guard publishes it with the caller's identity.
 */
export function eventsFromAdminAction(m: AdminActionMessage): SecurityEventInput[] {
  const verb = m.ok ? /^revocation\.(.+)$/.exec(m.action)?.[1] : undefined;
  if (verb === undefined) return [];
  return [{ requestId: m.requestId, api: 'admin', operationId: m.action, client: m.peer, stage: 'admin', kind: 'revocation.change', reason: verb, principal: 'admin', severity: 'medium' }];
}

/**
 * The one place where events that have their own channel (upstream errors, config reloads,
 * revocation changes) are republished as security events, so SIEM sinks, alerts and metrics see a
 * single stream. Returns an unsubscribe.
 *
 * The audit trail records config reloads from their own channel (with more detail) and so
 * skips the `config.reload*` security events (see audit/subscribe.ts).
 *
 * @example
 * const stop = subscribeSecurityBridge();
 */
export function subscribeSecurityBridge(): () => void {
  const onUpstream = (m: unknown) => { publishSecurityEvent(() => eventFromUpstreamError(m as UpstreamErrorMessage)); };
  const onReload = (m: unknown) => { publishSecurityEvent(() => eventFromConfigReload(m as ConfigReloadMessage)); };
  const onAdmin = (m: unknown) => { for (const e of eventsFromAdminAction(m as AdminActionMessage)) publishSecurityEvent(() => e); };
  const subs: [string, (m: unknown) => void][] = [[CHANNELS.upstreamError, onUpstream], [CHANNELS.configReload, onReload], [CHANNELS.adminAction, onAdmin]];
  for (const [name, fn] of subs) diagnostics_channel.subscribe(name, fn);
  return () => { for (const [name, fn] of subs) diagnostics_channel.unsubscribe(name, fn); };
}
