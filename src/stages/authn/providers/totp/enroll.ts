import { Secret, TOTP } from 'otpauth';
import { readSecretsFile, writeSecretsFile } from './secrets-file.js';

/** Why an enrolment change was not made. */
export type EnrolmentRefusal = 'already_enrolled' | 'not_enrolled';

/**
 * Enrols a principal for TOTP step-up: a fresh 160-bit secret (RFC 4226's recommended size
 * for HMAC-SHA-1) written to the secrets file, and the otpauth:// URI that carries it. The URI
 * is the only copy handed out: callers print or return it once.
 *
 * @example
 * const r = enrolTotp('totp.yaml', 'alice', { issuer: 'Bookstore' });
 * if (typeof r === 'string') throw new Error(r); else show(r.uri);
 */
export function enrolTotp(file: string, principal: string, opts: { issuer?: string; force?: boolean; now?: number } = {}): { uri: string } | EnrolmentRefusal {
  const data = readSecretsFile(file, true);
  if (data.secrets[principal] !== undefined && opts.force !== true) return 'already_enrolled';
  const secret = new Secret({ size: 20 });
  writeSecretsFile(file, { secrets: { ...data.secrets, [principal]: { secret: secret.base32, createdAt: new Date(opts.now ?? Date.now()).toISOString() } } });
  return { uri: new TOTP({ issuer: opts.issuer ?? 'Portcullis', label: principal, secret }).toString() };
}

/**
 * Removes a principal's TOTP secret; step-up then fails for it (`not_enrolled`) once the
 * gateway sees the changed file.
 *
 * @example
 * unenrolTotp('totp.yaml', 'alice');
 */
export function unenrolTotp(file: string, principal: string): true | EnrolmentRefusal {
  const data = readSecretsFile(file, true);
  if (data.secrets[principal] === undefined) return 'not_enrolled';
  const secrets = { ...data.secrets };
  delete secrets[principal];
  writeSecretsFile(file, { secrets });
  return true;
}
