import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { publishSecurityEvent } from '../../../../observability/channels.js';
import { clearCredentialFileFailure, reportCredentialFileFailure } from '../credential-file-health.js';

/**
 * A file compiled into a value and recompiled when it changes, without a restart. The file is
 * stat-ed at most once per `intervalMs`, on the request path but coalesced: one stat serves
 * every concurrent request and no timer is left behind to clean up. A file that fails to
 * compile keeps the previous value (`lastError` says why), and the failure is published once
 * (until the file is good again) as a `key.file_failed` security event: reason `missing`,
 * `unreadable` or `invalid`, the path in `excerpt` (never the file's text: it may hold secrets),
 * and listed by `credentialFileFailures()` for `/readyz` and the admin status until it loads again.
 *
 * @example
 * const keys = new WatchedFile('/etc/portcullis/keys.yaml', (text) => compile(text), 1000);
 * const map = await keys.current();
 */
export class WatchedFile<T> {
  readonly #file: string;
  readonly #compile: (text: string) => T;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #value: T;
  #sig: string;
  #checkedAt: number;
  #pending: Promise<void> | undefined;
  #failure: string | undefined;
  /** The last reload failure; undefined once a reload succeeds. */
  lastError: string | undefined;

  /** Loads the file synchronously (at config load): a bad file throws and fails the config. */
  constructor(file: string, compile: (text: string) => T, intervalMs: number, now: () => number = Date.now) {
    this.#file = file;
    this.#compile = compile;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#sig = signature(statSync(file));
    this.#value = compile(readFileSync(file, 'utf8'));
    this.#checkedAt = now();
    clearCredentialFileFailure(file);
  }

  /** The value when no check is due (no promise on the request path); undefined when one is. */
  fresh(): T | undefined {
    return this.#now() - this.#checkedAt >= this.#intervalMs ? undefined : this.#value;
  }

  /** The current value, after a reload if the file changed since the last check. */
  async current(): Promise<T> {
    if (this.#now() - this.#checkedAt >= this.#intervalMs) {
      this.#pending ??= this.#check().finally(() => { this.#pending = undefined; });
      await this.#pending;
    }
    return this.#value;
  }

  async #check(): Promise<void> {
    this.#checkedAt = this.#now();
    try {
      const sig = signature(await stat(this.#file));
      if (sig === this.#sig) return;
      this.#value = this.#compile(await readFile(this.#file, 'utf8'));
      this.#sig = sig;
      this.lastError = undefined;
      if (this.#failure !== undefined) clearCredentialFileFailure(this.#file);
      this.#failure = undefined;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      // Only a system call's failure is I/O; YAML's parse errors carry a `code` of their own.
      const io = err as NodeJS.ErrnoException;
      const reason = io.syscall === undefined ? 'invalid' : io.code === 'ENOENT' ? 'missing' : 'unreadable';
      if (reason === this.#failure) return;
      this.#failure = reason;
      const file = this.#file;
      reportCredentialFileFailure(this, { file, reason, since: new Date(this.#now()).toISOString() });
      // The old keys keep serving; the operator must still hear that the new file was not taken.
      publishSecurityEvent(() => ({
        kind: 'key.file_failed', reason, requestId: '', api: '', operationId: undefined, client: '',
        severity: 'high', stage: 'authn', excerpt: file,
      }));
    }
  }

  /** Why the last reload failed (`missing`, `unreadable`, `invalid`); undefined while the file is good. */
  get failure(): string | undefined {
    return this.#failure;
  }
}

// The inode catches an atomic replace (temp file + rename) within the mtime's resolution.
function signature(st: { mtimeMs: number; size: number; ino: number }): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}
