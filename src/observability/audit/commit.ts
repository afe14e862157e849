import { publishSecurityEvent, type SecurityEventInput } from '../channels.js';

/**
 * The key under which a publisher that must not go on before its audit record is committed lends
 * a callback to the audit subscriber. A symbol key is invisible to JSON, `Object.entries` and so
 * to every other subscriber (logs, SIEM sinks, alerts).
 */
export const AUDIT_COMMIT: unique symbol = Symbol.for('portcullis.auditCommit') as never;

/** The callback under {@link AUDIT_COMMIT}: the audit subscriber hands it the record's commit. */
export type AuditCommitHook = (committed: Promise<unknown>) => void;

/**
 * Publishes a security event like `publishSecurityEvent`, and resolves once the audit trail has
 * committed its record (at once when no audit trail records this kind). Rejects when the record
 * could not be committed (queue full, store down): the caller must then not acknowledge the
 * change. Used by the admin API for changes (revocations, penalty lifts, TOTP enrolment, reloads).
 *
 * @example
 * await publishCommittedSecurityEvent(() => ({ kind: 'admin.action', reason: 'revocation.create', ... }));
 * sendJson(res, 201, entry); // the record survives a kill -9 from here on
 */
export async function publishCommittedSecurityEvent(build: () => SecurityEventInput): Promise<void> {
  const commits: Promise<unknown>[] = [];
  const hook: AuditCommitHook = (p) => { commits.push(p); };
  publishSecurityEvent(() => Object.assign(build(), { [AUDIT_COMMIT]: hook }));
  await Promise.all(commits);
}

/**
 * The commit hook a security event carries, if its publisher waits for its audit record.
 *
 * @example
 * const hook = auditCommitHook(msg); hook === undefined ? writer.offer(r) : hook(writer.commit(r));
 */
export function auditCommitHook(m: unknown): AuditCommitHook | undefined {
  const hook = (m as { [AUDIT_COMMIT]?: unknown } | undefined)?.[AUDIT_COMMIT];
  return typeof hook === 'function' ? hook as AuditCommitHook : undefined;
}
