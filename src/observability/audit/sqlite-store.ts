import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditCheckpoint } from './checkpoint.js';
import { OPTIONAL_FIELDS, type StoredAuditRecord } from './record.js';
import { fullText, searchLimit, searchWords, type AuditQuery, type AuditStore, type ChainHead } from './store.js';

const COLUMNS: Record<(typeof OPTIONAL_FIELDS)[number], string> = {
  requestId: 'request_id', principal: 'principal', client: 'client', api: 'api',
  operationId: 'operation_id', decision: 'decision', reason: 'reason',
};

interface Row {
  instance: string; seq: number; time: string; kind: string; detail: string; prev_hash: string; hash: string;
  request_id: string | null; principal: string | null; client: string | null; api: string | null;
  operation_id: string | null; decision: string | null; reason: string | null;
}
interface CheckpointRow { instance: string; seq: number; hash: string; time: string; kind: string; signature: string }

function fromRow(row: Row): StoredAuditRecord {
  const r: Record<string, unknown> = {
    seq: row.seq, time: row.time, instance: row.instance, kind: row.kind,
    detail: JSON.parse(row.detail) as unknown, prevHash: row.prev_hash, hash: row.hash,
  };
  for (const f of OPTIONAL_FIELDS) {
    const v = row[COLUMNS[f] as keyof Row];
    if (v !== null) r[f] = v;
  }
  return r as unknown as StoredAuditRecord;
}

function fromCheckpointRow(row: CheckpointRow): AuditCheckpoint {
  return { instance: row.instance, seq: row.seq, hash: row.hash, time: row.time, kind: row.kind as AuditCheckpoint['kind'], signature: row.signature };
}

/**
 * The embedded audit store: one SQLite file in WAL mode with `synchronous=FULL`, so a
 * committed batch is fsynced before `append` resolves. Full text via FTS5.
 *
 * @example
 * const store = new SqliteAuditStore('/var/lib/portcullis/audit.db');
 * await store.init();
 */
export class SqliteAuditStore implements AuditStore {
  readonly #file: string;
  #db: Database.Database | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  get #conn(): Database.Database {
    if (this.#db === undefined) throw new Error('audit store is not initialised');
    return this.#db;
  }

  async init(): Promise<void> {
    if (this.#db !== undefined) return;
    if (this.#file !== ':memory:') mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const db = new Database(this.#file);
    db.pragma('journal_mode = WAL');
    // FULL syncs the WAL on every commit: an acknowledged record survives power loss, not only kill -9.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_records (
        instance TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL,
        request_id TEXT, principal TEXT, client TEXT, api TEXT, operation_id TEXT, decision TEXT, reason TEXT,
        detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (instance, seq)
      );
      CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
      CREATE INDEX IF NOT EXISTS audit_records_principal ON audit_records (principal);
      CREATE INDEX IF NOT EXISTS audit_records_request ON audit_records (request_id);
      CREATE VIRTUAL TABLE IF NOT EXISTS audit_fts USING fts5 (body);
      CREATE TABLE IF NOT EXISTS audit_checkpoints (
        instance TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, time TEXT NOT NULL,
        kind TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (instance, seq, kind)
      );
    `);
    this.#db = db;
  }

  async head(instance: string): Promise<ChainHead | undefined> {
    const db = this.#conn;
    const r = db.prepare('SELECT seq, hash FROM audit_records WHERE instance = ? ORDER BY seq DESC LIMIT 1').get(instance) as ChainHead | undefined;
    if (r !== undefined) return { seq: r.seq, hash: r.hash };
    const c = db.prepare('SELECT seq, hash FROM audit_checkpoints WHERE instance = ? ORDER BY seq DESC LIMIT 1').get(instance) as ChainHead | undefined;
    return c === undefined ? undefined : { seq: c.seq, hash: c.hash };
  }

  async append(records: readonly StoredAuditRecord[], checkpoint?: AuditCheckpoint): Promise<void> {
    const db = this.#conn;
    const insert = db.prepare(`INSERT INTO audit_records (instance, seq, time, kind, request_id, principal, client, api, operation_id, decision, reason, detail, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const fts = db.prepare('INSERT OR REPLACE INTO audit_fts (rowid, body) VALUES (?, ?)');
    db.transaction(() => {
      for (const r of records) {
        const info = insert.run(r.instance, r.seq, r.time, r.kind, r.requestId ?? null, r.principal ?? null, r.client ?? null, r.api ?? null,
          r.operationId ?? null, r.decision ?? null, r.reason ?? null, JSON.stringify(r.detail), r.prevHash, r.hash);
        fts.run(info.lastInsertRowid, fullText(r));
      }
      if (checkpoint !== undefined) this.#insertCheckpoint(checkpoint);
    })();
  }

  #insertCheckpoint(c: AuditCheckpoint): void {
    this.#conn.prepare('INSERT OR REPLACE INTO audit_checkpoints (instance, seq, hash, time, kind, signature) VALUES (?, ?, ?, ?, ?, ?)')
      .run(c.instance, c.seq, c.hash, c.time, c.kind, c.signature);
  }

  async records(instance: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]> {
    const rows = this.#conn.prepare('SELECT * FROM audit_records WHERE instance = ? AND seq > ? ORDER BY seq LIMIT ?').all(instance, afterSeq, limit) as Row[];
    return rows.map(fromRow);
  }

  async checkpoints(instance: string): Promise<AuditCheckpoint[]> {
    const rows = this.#conn.prepare('SELECT * FROM audit_checkpoints WHERE instance = ? ORDER BY seq, kind').all(instance) as CheckpointRow[];
    return rows.map(fromCheckpointRow);
  }

  async instances(): Promise<string[]> {
    const rows = this.#conn.prepare('SELECT instance FROM audit_records UNION SELECT instance FROM audit_checkpoints ORDER BY 1').all() as { instance: string }[];
    return rows.map((r) => r.instance);
  }

  async search(q: AuditQuery): Promise<StoredAuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (col: string, v: string | undefined) => { if (v !== undefined) { where.push(`${col} = ?`); args.push(v); } };
    eq('instance', q.instance); eq('principal', q.principal); eq('client', q.client); eq('kind', q.kind);
    eq('api', q.api); eq('operation_id', q.operationId); eq('request_id', q.requestId);
    if (q.since !== undefined) { where.push('time >= ?'); args.push(q.since); }
    if (q.until !== undefined) { where.push('time < ?'); args.push(q.until); }
    const words = q.text === undefined ? [] : searchWords(q.text);
    if (words.length > 0) {
      // Every word becomes a quoted FTS5 string: user input is never read as FTS5 query syntax.
      where.push('rowid IN (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ?)');
      args.push(words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' '));
    }
    const sql = `SELECT * FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, seq DESC LIMIT ?`;
    args.push(searchLimit(q));
    return (this.#conn.prepare(sql).all(...args) as Row[]).map(fromRow);
  }

  async firstSeqAtOrAfter(instance: string, time: string): Promise<number | undefined> {
    const r = this.#conn.prepare('SELECT MIN(seq) AS seq FROM audit_records WHERE instance = ? AND time >= ?').get(instance, time) as { seq: number | null };
    return r.seq ?? undefined;
  }

  async cut(instance: string, cutSeq: number, anchor: AuditCheckpoint): Promise<number> {
    const db = this.#conn;
    let deleted = 0;
    db.transaction(() => {
      this.#insertCheckpoint(anchor);
      db.prepare('DELETE FROM audit_fts WHERE rowid IN (SELECT rowid FROM audit_records WHERE instance = ? AND seq < ?)').run(instance, cutSeq);
      deleted = db.prepare('DELETE FROM audit_records WHERE instance = ? AND seq < ?').run(instance, cutSeq).changes;
      db.prepare('DELETE FROM audit_checkpoints WHERE instance = ? AND seq < ?').run(instance, anchor.seq);
    })();
    return deleted;
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }
}
