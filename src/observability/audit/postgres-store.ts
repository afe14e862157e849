import pg from 'pg';
import type { AuditCheckpoint } from './checkpoint.js';
import { OPTIONAL_FIELDS, type StoredAuditRecord } from './record.js';
import { fullText, searchLimit, searchWords, type AuditQuery, type AuditStore, type ChainHead } from './store.js';

const COLUMNS: Record<(typeof OPTIONAL_FIELDS)[number], string> = {
  requestId: 'request_id', principal: 'principal', client: 'client', api: 'api',
  operationId: 'operation_id', decision: 'decision', reason: 'reason',
};

type Row = Record<string, unknown> & { instance: string; seq: string; time: string; kind: string; detail: string; prev_hash: string; hash: string };

function fromRow(row: Row): StoredAuditRecord {
  const r: Record<string, unknown> = {
    seq: Number(row.seq), time: row.time, instance: row.instance, kind: row.kind,
    detail: JSON.parse(row.detail) as unknown, prevHash: row.prev_hash, hash: row.hash,
  };
  for (const f of OPTIONAL_FIELDS) {
    const v = row[COLUMNS[f]];
    if (v !== null && v !== undefined) r[f] = v;
  }
  return r as unknown as StoredAuditRecord;
}

function fromCheckpointRow(row: Record<string, unknown>): AuditCheckpoint {
  return {
    instance: String(row['instance']), seq: Number(row['seq']), hash: String(row['hash']), time: String(row['time']),
    kind: String(row['kind']) as AuditCheckpoint['kind'], signature: String(row['signature']),
  };
}

/** Options of the PostgreSQL store. */
export interface PostgresAuditStoreOptions {
  readonly url: string;
  /** Prefix of the two table names (`<prefix>records`, `<prefix>checkpoints`): [a-z_][a-z0-9_]*. */
  readonly tablePrefix?: string;
}

/**
 * The cluster audit store: every gateway instance writes its own chain (keyed by
 * `instance`) into shared tables, so instances never serialise on one chain head.
 * Full text via a generated `tsvector` column ('simple' configuration) and a GIN index.
 * `append` resolves after COMMIT, i.e. after the server has flushed its WAL (with the
 * default `synchronous_commit = on`).
 *
 * @example
 * const store = new PostgresAuditStore({ url: 'postgres://postgres@127.0.0.1:5432/portcullis' });
 * await store.init();
 */
export class PostgresAuditStore implements AuditStore {
  readonly #pool: pg.Pool;
  readonly #records: string;
  readonly #checkpoints: string;

  constructor(opts: PostgresAuditStoreOptions) {
    const prefix = opts.tablePrefix ?? 'portcullis_audit_';
    // Table names cannot be bound parameters; the pattern keeps them inert in SQL text.
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`audit tablePrefix "${prefix}" must match [a-z_][a-z0-9_]*`);
    this.#records = `${prefix}records`;
    this.#checkpoints = `${prefix}checkpoints`;
    this.#pool = new pg.Pool({ connectionString: opts.url, max: 4 });
    // An idle client error (server restart) must not crash the gateway; the next query reconnects.
    this.#pool.on('error', () => {});
  }

  async init(): Promise<void> {
    const r = this.#records;
    await this.#pool.query(`
      CREATE TABLE IF NOT EXISTS ${r} (
        instance TEXT NOT NULL, seq BIGINT NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL,
        request_id TEXT, principal TEXT, client TEXT, api TEXT, operation_id TEXT, decision TEXT, reason TEXT,
        detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, search_text TEXT NOT NULL,
        search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
        PRIMARY KEY (instance, seq)
      );
      CREATE INDEX IF NOT EXISTS ${r}_time ON ${r} (time);
      CREATE INDEX IF NOT EXISTS ${r}_principal ON ${r} (principal);
      CREATE INDEX IF NOT EXISTS ${r}_request ON ${r} (request_id);
      CREATE INDEX IF NOT EXISTS ${r}_search ON ${r} USING GIN (search);
      CREATE TABLE IF NOT EXISTS ${this.#checkpoints} (
        instance TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, time TEXT NOT NULL,
        kind TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (instance, seq, kind)
      );
    `);
  }

  async head(instance: string): Promise<ChainHead | undefined> {
    const r = await this.#pool.query(`SELECT seq, hash FROM ${this.#records} WHERE instance = $1 ORDER BY seq DESC LIMIT 1`, [instance]);
    const row = r.rows[0] ?? (await this.#pool.query(`SELECT seq, hash FROM ${this.#checkpoints} WHERE instance = $1 ORDER BY seq DESC LIMIT 1`, [instance])).rows[0];
    return row === undefined ? undefined : { seq: Number(row.seq), hash: String(row.hash) };
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  #insertCheckpoint(c: pg.PoolClient, cp: AuditCheckpoint): Promise<unknown> {
    return c.query(`INSERT INTO ${this.#checkpoints} (instance, seq, hash, time, kind, signature) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (instance, seq, kind) DO UPDATE SET hash = EXCLUDED.hash, time = EXCLUDED.time, signature = EXCLUDED.signature`,
    [cp.instance, cp.seq, cp.hash, cp.time, cp.kind, cp.signature]);
  }

  async append(records: readonly StoredAuditRecord[], checkpoint?: AuditCheckpoint): Promise<void> {
    await this.#tx(async (c) => {
      // One multi-row INSERT per batch: a single round trip, whatever the batch size.
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const r of records) {
        const base = values.length;
        values.push(r.instance, r.seq, r.time, r.kind, r.requestId ?? null, r.principal ?? null, r.client ?? null, r.api ?? null,
          r.operationId ?? null, r.decision ?? null, r.reason ?? null, JSON.stringify(r.detail), r.prevHash, r.hash, fullText(r));
        tuples.push(`(${Array.from({ length: 15 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
      }
      if (tuples.length > 0) {
        await c.query(`INSERT INTO ${this.#records} (instance, seq, time, kind, request_id, principal, client, api, operation_id, decision, reason, detail, prev_hash, hash, search_text)
          VALUES ${tuples.join(', ')}`, values);
      }
      if (checkpoint !== undefined) await this.#insertCheckpoint(c, checkpoint);
    });
  }

  async records(instance: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]> {
    const r = await this.#pool.query(`SELECT * FROM ${this.#records} WHERE instance = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [instance, afterSeq, limit]);
    return (r.rows as Row[]).map(fromRow);
  }

  async checkpoints(instance: string): Promise<AuditCheckpoint[]> {
    const r = await this.#pool.query(`SELECT * FROM ${this.#checkpoints} WHERE instance = $1 ORDER BY seq, kind`, [instance]);
    return r.rows.map(fromCheckpointRow);
  }

  async instances(): Promise<string[]> {
    const r = await this.#pool.query(`SELECT instance FROM ${this.#records} UNION SELECT instance FROM ${this.#checkpoints} ORDER BY 1`);
    return r.rows.map((row: { instance: string }) => row.instance);
  }

  async search(q: AuditQuery): Promise<StoredAuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => { args.push(v); where.push(sql.replace('?', `$${args.length}`)); };
    const eq = (col: string, v: string | undefined) => { if (v !== undefined) add(`${col} = ?`, v); };
    eq('instance', q.instance); eq('principal', q.principal); eq('client', q.client); eq('kind', q.kind);
    eq('api', q.api); eq('operation_id', q.operationId); eq('request_id', q.requestId);
    if (q.since !== undefined) add('time >= ?', q.since);
    if (q.until !== undefined) add('time < ?', q.until);
    const words = q.text === undefined ? [] : searchWords(q.text);
    // plainto_tsquery reads its argument as plain words, never as tsquery operators.
    if (words.length > 0) add(`search @@ plainto_tsquery('simple', ?)`, words.join(' '));
    args.push(searchLimit(q));
    const sql = `SELECT * FROM ${this.#records} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, seq DESC LIMIT $${args.length}`;
    return ((await this.#pool.query(sql, args)).rows as Row[]).map(fromRow);
  }

  async firstSeqAtOrAfter(instance: string, time: string): Promise<number | undefined> {
    const r = await this.#pool.query(`SELECT MIN(seq) AS seq FROM ${this.#records} WHERE instance = $1 AND time >= $2`, [instance, time]);
    const v = r.rows[0]?.seq;
    return v === null || v === undefined ? undefined : Number(v);
  }

  async cut(instance: string, cutSeq: number, anchor: AuditCheckpoint): Promise<number> {
    return this.#tx(async (c) => {
      await this.#insertCheckpoint(c, anchor);
      const d = await c.query(`DELETE FROM ${this.#records} WHERE instance = $1 AND seq < $2`, [instance, cutSeq]);
      await c.query(`DELETE FROM ${this.#checkpoints} WHERE instance = $1 AND seq < $2`, [instance, anchor.seq]);
      return d.rowCount ?? 0;
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /** Drops both tables (tests clean up with this). */
  async drop(): Promise<void> {
    await this.#pool.query(`DROP TABLE IF EXISTS ${this.#records}; DROP TABLE IF EXISTS ${this.#checkpoints}`);
  }
}
