import type { AuditCheckpoint } from './checkpoint.js';
import type { StoredAuditRecord } from './record.js';

/** Filters of `audit search`; every given filter must match (AND). */
export interface AuditQuery {
  readonly instance?: string;
  /** ISO time, inclusive. */
  readonly since?: string;
  /** ISO time, exclusive. */
  readonly until?: string;
  readonly principal?: string;
  readonly client?: string;
  readonly kind?: string;
  readonly api?: string;
  readonly operationId?: string;
  readonly requestId?: string;
  /** Words that must all occur (full-text; never parsed as query syntax). */
  readonly text?: string;
  /** Newest first; default 100, at most 10,000. */
  readonly limit?: number;
}

/** The tip of one instance's chain. */
export interface ChainHead { readonly seq: number; readonly hash: string }

/**
 * Where audit records live. Every write is one transaction that is durable (fsynced /
 * committed) when its promise resolves. Stores never compute hashes: the writer and the
 * verifier own the chain, so a store cannot get it wrong silently.
 */
export interface AuditStore {
  /** Creates tables and indexes if needed. */
  init(): Promise<void>;
  /** Last record (or, after retention removed them all, last anchor) of `instance`. */
  head(instance: string): Promise<ChainHead | undefined>;
  /** Appends records (consecutive seqs) and optionally a checkpoint, atomically. */
  append(records: readonly StoredAuditRecord[], checkpoint?: AuditCheckpoint): Promise<void>;
  /** Up to `limit` records of `instance` with seq > afterSeq, by seq. */
  records(instance: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]>;
  /** Every checkpoint of `instance`, by seq. */
  checkpoints(instance: string): Promise<AuditCheckpoint[]>;
  /** Instances that have records or checkpoints. */
  instances(): Promise<string[]>;
  search(query: AuditQuery): Promise<StoredAuditRecord[]>;
  /** Seq of the first record of `instance` at or after `time`, if any. */
  firstSeqAtOrAfter(instance: string, time: string): Promise<number | undefined>;
  /**
   * Atomically inserts `anchor` (a retention checkpoint at seq `cutSeq - 1`), then deletes the
   * records with seq < cutSeq and the checkpoints with seq < anchor.seq. Returns records deleted.
   */
  cut(instance: string, cutSeq: number, anchor: AuditCheckpoint): Promise<number>;
  close(): Promise<void>;
}

/** Caps a search limit. */
export function searchLimit(q: AuditQuery): number {
  const n = q.limit ?? 100;
  return Math.max(1, Math.min(10_000, Math.floor(n)));
}

/** The text full-text search indexes for a record: its string fields and the string and number leaves of its detail. */
export function fullText(r: StoredAuditRecord): string {
  const parts: string[] = [r.kind];
  for (const v of [r.reason, r.principal, r.client, r.api, r.operationId, r.requestId, r.decision]) if (v !== undefined) parts.push(v);
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof v === 'string' || typeof v === 'number') parts.push(String(v));
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(r.detail, 0);
  return parts.join(' ');
}

/** Splits free text into at most 16 words (the search never interprets operators). */
export function searchWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0).slice(0, 16);
}
