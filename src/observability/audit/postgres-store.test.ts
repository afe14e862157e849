import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { auditStoreContract } from './audit-store.contract.js';
import { PostgresAuditStore } from './postgres-store.js';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

auditStoreContract('postgres', async () => {
  // A unique prefix per run so parallel runs never share tables.
  const prefix = `pcl_audit_t${randomBytes(4).toString('hex')}_`;
  const store = new PostgresAuditStore({ url, tablePrefix: prefix });
  await store.init();
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  return {
    store,
    sql: async (s) => { await raw.query(s.replaceAll('{records}', `${prefix}records`).replaceAll('{checkpoints}', `${prefix}checkpoints`)); },
    cleanup: async () => { await store.drop(); await store.close(); await raw.end(); },
  };
});
