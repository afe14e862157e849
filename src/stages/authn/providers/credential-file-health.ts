/**
 * Which watched credential files (JWKS/PEM key files, API-key files, TOTP secrets) currently fail
 * to reload, for `/readyz` details and `GET /admin/status` (issue 12, item 6). The old keys keep
 * serving, so readiness does not change; the operator still has to see it without reading logs.
 *
 * Entries are keyed by path and hold their owner weakly: a file that a config reload dropped
 * disappears from the report once its old watcher is collected, and a new watcher that loads the
 * same path successfully clears the entry at once. No error message is kept: a parser's message
 * can quote the file (JSON.parse and YAML both do), and these files hold secrets.
 */
export interface CredentialFileFailure {
  readonly file: string;
  /** `missing`, `unreadable` or `invalid`. */
  readonly reason: string;
  /** ISO time of the first failure of this kind. */
  readonly since: string;
}

const failures = new Map<string, { failure: CredentialFileFailure; owner: WeakRef<object> }>();

/** Records that `owner`'s file failed to reload (replacing an earlier failure of that file). */
export function reportCredentialFileFailure(owner: object, failure: CredentialFileFailure): void {
  failures.set(failure.file, { failure, owner: new WeakRef(owner) });
}

/** Clears the failure of `file`: it loaded again (or a new watcher loaded it). */
export function clearCredentialFileFailure(file: string): void {
  failures.delete(file);
}

/** The files failing now, oldest first; empty when every credential file is good. */
export function credentialFileFailures(): CredentialFileFailure[] {
  const out: CredentialFileFailure[] = [];
  for (const [file, entry] of failures) {
    if (entry.owner.deref() === undefined) failures.delete(file);
    else out.push(entry.failure);
  }
  return out.sort((a, b) => a.since.localeCompare(b.since));
}
