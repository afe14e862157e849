import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type ConfigReloadMessage, type SecurityEventMessage } from '../channels.js';
import { auditCommitHook } from './commit.js';
import type { AuditRecordInput } from './record.js';
import type { AuditWriter } from './writer.js';

/** A security event as the audit trail reads it: every field but kind optional, so a record is kept even when a publisher leaves one out. */
export type SecurityEventLike = Partial<SecurityEventMessage> & { kind: string; stage?: string };

/**
 * Compiles kind patterns ("*" = any characters) into one predicate.
 *
 * @example
 * kindFilter(['authn*'])('authn.failure'); // true
 */
export function kindFilter(patterns: readonly string[]): (kind: string) => boolean {
  if (patterns.length === 0) return () => false;
  const esc = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  // Patterns come from the operator's config; "*" becomes ".*", nothing else is special.
  const re = new RegExp(`^(?:${patterns.map((p) => p.split('*').map(esc).join('.*')).join('|')})$`);
  return (kind) => re.test(kind);
}

/** Maps a security event to an audit record. */
export function recordFromSecurityEvent(m: SecurityEventLike): AuditRecordInput {
  const detail: Record<string, unknown> = {};
  if (m.severity !== undefined) detail['severity'] = m.severity;
  if (m.scheme !== undefined) detail['scheme'] = m.scheme;
  if (m.stage !== undefined) detail['stage'] = m.stage;
  if (m.sha256 !== undefined) detail['sha256'] = m.sha256;
  if (m.signature !== undefined) detail['signature'] = m.signature;
  // An aggregated event (overload.shed) stands for this many requests.
  if (m.count !== undefined) detail['count'] = m.count;
  return {
    kind: m.kind, reason: m.reason, requestId: m.requestId, api: m.api, operationId: m.operationId,
    client: m.client, principal: m.principal, detail,
  };
}

/** Maps a config reload to an audit record (kind config.reload). */
export function recordFromConfigReload(m: ConfigReloadMessage): AuditRecordInput {
  return {
    kind: 'config.reload', reason: m.reason, decision: m.ok ? 'applied' : 'rejected',
    detail: { durationMs: Math.round(m.durationMs * 1000) / 1000, ...(m.error === undefined ? {} : { error: m.error }) },
  };
}

/**
 * Feeds the writer from the security event and config reload channels, keeping only the
 * configured kinds. Publishers pay nothing more than a queue push, except those that ask for
 * the commit (`publishCommittedSecurityEvent`): their record is flushed at once. Returns an unsubscribe.
 *
 * @example
 * const stop = subscribeAudit(writer, ['authn*', 'config*']);
 */
export function subscribeAudit(writer: AuditWriter, kinds: readonly string[]): () => void {
  const wanted = kindFilter(kinds);
  const onEvent = (msg: unknown) => {
    const m = msg as SecurityEventLike;
    // Reloads are recorded from their own channel below, with their duration and outcome.
    if (typeof m?.kind !== 'string' || m.kind.startsWith('config.reload') || !wanted(m.kind)) return;
    // An admin change waits for its record's commit; every other event takes the batch path.
    const commit = auditCommitHook(m);
    if (commit === undefined) writer.offer(recordFromSecurityEvent(m));
    else commit(writer.commit(recordFromSecurityEvent(m)));
  };
  const onReload = (msg: unknown) => {
    if (wanted('config.reload')) writer.offer(recordFromConfigReload(msg as ConfigReloadMessage));
  };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  diagnostics_channel.subscribe(CHANNELS.configReload, onReload);
  return () => {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
    diagnostics_channel.unsubscribe(CHANNELS.configReload, onReload);
  };
}
