import { createHash } from 'node:crypto';

/**
 * One audit record as it is hashed: every field but `hash` and `prevHash`.
 * Optional fields are omitted (never `null`) so a record hashes the same after a
 * round trip through any store.
 */
export interface AuditRecord {
  /** Position in this instance's chain, from 1, without gaps. */
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds (`Date#toISOString()`), so text order is time order. */
  readonly time: string;
  /** The chain this record belongs to: one chain per gateway instance. */
  readonly instance: string;
  readonly kind: string;
  readonly requestId?: string;
  readonly principal?: string;
  readonly client?: string;
  readonly api?: string;
  readonly operationId?: string;
  readonly decision?: string;
  readonly reason?: string;
  /** Redacted, bounded, JSON-only detail (see `redactDetail`). */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A record with its chain link, as stores keep it. */
export interface StoredAuditRecord extends AuditRecord {
  /** Hex SHA-256 of the previous record (GENESIS_HASH for seq 1). */
  readonly prevHash: string;
  /** Hex SHA-256 over prevHash and the canonical JSON of this record. */
  readonly hash: string;
}

/** What a caller hands to the writer: the writer adds seq, time (unless given), instance and the chain. */
export type AuditRecordInput = Omit<AuditRecord, 'seq' | 'instance' | 'time' | 'detail'> & {
  readonly time?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
};

/** The previous hash of the first record of every chain: 32 zero bytes, in hex. */
export const GENESIS_HASH = '0'.repeat(64);

/** The optional string fields of a record, in the order stores keep them. */
export const OPTIONAL_FIELDS = ['requestId', 'principal', 'client', 'api', 'operationId', 'decision', 'reason'] as const;

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order (JavaScript's default
 * sort), no whitespace, `undefined` members omitted, strings and numbers as
 * `JSON.stringify` writes them. Non-finite numbers, functions, symbols and bigints
 * are rejected, so two writers can never disagree on the bytes of one value.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': case 'boolean': return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default: throw new TypeError(`canonical JSON: unsupported ${typeof value}`);
  }
}

/** The hashed view of a record: drops chain fields and absent optionals. */
export function hashedView(r: AuditRecord): AuditRecord {
  const out: Record<string, unknown> = { seq: r.seq, time: r.time, instance: r.instance, kind: r.kind, detail: r.detail };
  for (const f of OPTIONAL_FIELDS) if (r[f] !== undefined) out[f] = r[f];
  return out as unknown as AuditRecord;
}

/**
 * `SHA-256(prevHash bytes || UTF-8 canonical JSON of the record)`, hex. prevHash enters as
 * its 32 raw bytes, not its hex text.
 *
 * @example
 * const hash = recordHash(GENESIS_HASH, { seq: 1, time: new Date().toISOString(), instance: 'gw-1', kind: 'config.reload', detail: {} });
 */
export function recordHash(prevHash: string, record: AuditRecord): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalJson(hashedView(record)), 'utf8')
    .digest('hex');
}

/**
 * Chains a record to its predecessor.
 *
 * @example
 * const first = chainRecord(GENESIS_HASH, { seq: 1, time: '2026-01-01T00:00:00.000Z', instance: 'gw-1', kind: 'admin.login', detail: {} });
 */
export function chainRecord(prevHash: string, record: AuditRecord): StoredAuditRecord {
  return { ...hashedView(record), prevHash, hash: recordHash(prevHash, record) };
}
