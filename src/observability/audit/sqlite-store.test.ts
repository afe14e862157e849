import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditStoreContract } from './audit-store.contract.js';
import { SqliteAuditStore } from './sqlite-store.js';

auditStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-audit-'));
  const file = join(dir, 'audit.db');
  const store = new SqliteAuditStore(file);
  await store.init();
  // A second connection, as an attacker with file access would have.
  const raw = new Database(file);
  raw.pragma('busy_timeout = 5000');
  return {
    store,
    sql: async (s) => { raw.exec(s.replaceAll('{records}', 'audit_records').replaceAll('{checkpoints}', 'audit_checkpoints')); },
    cleanup: async () => { raw.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
});
