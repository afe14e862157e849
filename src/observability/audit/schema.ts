import { Type, type Static } from '@sinclair/typebox';

/** The `audit` section of the config: the tamper-evident audit trail. */
export const AuditSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Record security-relevant operations in a hash-chained, signed audit trail.' }),
  backend: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite', description: 'sqlite: one embedded file (one machine). postgres: shared by a cluster, one chain per instance.' }),
  instance: Type.String({ default: '', description: 'Name of this instance\'s chain; empty = the host name. Each instance must have its own name.' }),
  dataDir: Type.String({ default: '.portcullis', description: 'Directory (relative to the config file) of the SQLite file and the generated signing key.' }),
  sqliteFile: Type.String({ default: 'audit.db', description: 'SQLite database file, relative to dataDir.' }),
  postgresUrl: Type.String({ default: 'postgres://127.0.0.1:5432/portcullis', description: 'PostgreSQL connection URL; used when backend is postgres. Use ${ENV} interpolation for credentials.' }),
  tablePrefix: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,40}$', default: 'portcullis_audit_', description: 'Prefix of the PostgreSQL table names.' }),
  signingKey: Type.String({ default: '', description: 'Ed25519 private key (PKCS#8 PEM) that signs checkpoints: a file relative to the config file, or the PEM itself (e.g. ${vault:portcullis/audit#pem}). Empty = <dataDir>/audit-signing-key.pem, generated (mode 0600) on first start.' }),
  kinds: Type.Array(Type.String({ minLength: 1 }), {
    default: ['authn*', 'authz*', 'admin*', 'config*', 'key*', 'revocation*', 'business*'],
    description: 'Security event kinds recorded; "*" matches any characters. Config reloads have kind config.reload.',
  }),
  batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Records per write transaction; a full batch is written at once.' }),
  flushIntervalMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 50, description: 'Longest time a record waits in memory before its batch is written.' }),
  queueLimit: Type.Integer({ minimum: 1, default: 10_000, description: 'Records waiting in memory; beyond this new records are dropped and counted (requests are never blocked).' }),
  checkpointEvery: Type.Integer({ minimum: 1, default: 1_000, description: 'Write a signed checkpoint at least every this many records.' }),
  checkpointIntervalMs: Type.Integer({ minimum: 1_000, default: 60_000, description: 'And at least this often while records arrive.' }),
  retentionDays: Type.Integer({ minimum: 0, default: 0, description: 'Delete records older than this many days (0 = keep forever); a signed checkpoint keeps the rest verifiable.' }),
  redact: Type.Array(Type.String(), { default: [], description: 'Extra detail keys whose values are stored as [REDACTED] (secret-looking keys always are).' }),
}, { additionalProperties: false, default: {} });

export type AuditConfig = Static<typeof AuditSchema>;
