import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { loadSigner, signerFromPem, type AuditSigner } from './checkpoint.js';

/** A signingKey that holds the PEM itself (e.g. from ${vault:...}) rather than a path. */
const isInlinePem = (v: string): boolean => v.trimStart().startsWith('-----BEGIN ');
import { PostgresAuditStore } from './postgres-store.js';
import type { AuditConfig } from './schema.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './store.js';

/** Paths and names an audit config resolves to. */
export interface AuditLocation {
  readonly instance: string;
  readonly sqliteFile: string;
  readonly keyFile: string;
}

/**
 * Resolves the config's relative paths against the config file's directory.
 *
 * @example
 * auditLocation(config.audit, '/etc/portcullis').sqliteFile; // '/etc/portcullis/.portcullis/audit.db'
 */
export function auditLocation(c: AuditConfig, baseDir: string, instanceSuffix = ''): AuditLocation {
  const abs = (p: string, base: string) => (isAbsolute(p) ? p : resolve(base, p));
  const dataDir = abs(c.dataDir, baseDir);
  return {
    instance: `${c.instance === '' ? hostname() : c.instance}${instanceSuffix}`,
    sqliteFile: abs(c.sqliteFile, dataDir),
    keyFile: c.signingKey === '' ? join(dataDir, 'audit-signing-key.pem') : isInlinePem(c.signingKey) ? '(inline PEM)' : abs(c.signingKey, baseDir),
  };
}

/**
 * Creates (not initialises) the configured store.
 *
 * @example
 * const store = createAuditStore(config.audit, loc);
 */
export function createAuditStore(c: AuditConfig, loc: AuditLocation): AuditStore {
  return c.backend === 'postgres'
    ? new PostgresAuditStore({ url: c.postgresUrl, tablePrefix: c.tablePrefix })
    : new SqliteAuditStore(loc.sqliteFile);
}

/**
 * Loads the signing key; generated on first start only when it is the default file in dataDir.
 *
 * @example
 * const signer = openSigner(config.audit, loc, { create: true });
 */
export function openSigner(c: AuditConfig, loc: AuditLocation, opts: { create: boolean }): AuditSigner {
  if (isInlinePem(c.signingKey)) return signerFromPem(c.signingKey);
  // A configured key path that is missing is an operator error, never silently replaced.
  return loadSigner(loc.keyFile, { create: opts.create && c.signingKey === '' });
}
