import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream } from '../helpers/upstream.js';
import { loadSigner } from '../../src/observability/audit/checkpoint.js';
import { PostgresAuditStore } from '../../src/observability/audit/postgres-store.js';
import { SqliteAuditStore } from '../../src/observability/audit/sqlite-store.js';
import type { AuditStore } from '../../src/observability/audit/store.js';
import { verifyChain } from '../../src/observability/audit/verify.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = 'admin-token-kill9-0123456789abcdef';
const INSTANCE = 'gw-admin-kill';

/**
 * Drives admin changes (revocations, lifts, reloads) from several connections, kills the gateway
 * with SIGKILL once `acks` of them have been answered, and returns the request ids of every change
 * the client saw acknowledged (answers read after the kill were sent before it: they count too).
 */
async function changesThenKill9(gw: GatewayProcess, acks: number): Promise<string[]> {
  const acked: string[] = [];
  let killed = false;
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const one = async (w: number, i: number): Promise<Response> => {
    const value = `kill9-${w}-${i}`;
    if (w === 0 && i % 10 === 0) return fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST', headers: auth });
    if (i % 2 === 1) return fetch(`${gw.adminUrl}/admin/revocations`, { method: 'DELETE', headers: auth, body: JSON.stringify({ kind: 'jti', value: `kill9-${w}-${i - 1}` }) });
    return fetch(`${gw.adminUrl}/admin/revocations`, { method: 'POST', headers: auth, body: JSON.stringify({ kind: 'jti', value, ttlSeconds: 600 }) });
  };
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; ; i++) {
      let res: Response;
      try {
        res = await one(w, i);
        await res.arrayBuffer();
      } catch {
        return; // the gateway is gone
      }
      assert.ok(res.status === 200 || res.status === 201, `admin change answered ${res.status}`);
      acked.push(res.headers.get('x-request-id')!);
      if (!killed && acked.length >= acks) { killed = true; gw.child.kill('SIGKILL'); }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  return acked;
}

/** Every acknowledged change has its admin.action record (by request id), and the chain verifies. */
async function assertEveryChangeRecorded(store: AuditStore, keyFile: string, acked: string[]): Promise<void> {
  await store.init();
  const recorded = new Set<string>();
  let afterSeq = 0;
  for (;;) {
    const page = await store.records(INSTANCE, afterSeq, 1000);
    if (page.length === 0) break;
    for (const r of page) if (r.kind === 'admin.action' && r.requestId !== undefined) recorded.add(r.requestId);
    afterSeq = page.at(-1)!.seq;
  }
  const lost = acked.filter((id) => !recorded.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged admin changes missing from the trail after kill -9`);
  const report = await verifyChain(store, INSTANCE, loadSigner(keyFile, { create: false }).publicKey);
  assert.equal(report.ok, true, report.problem?.message);
  await store.close();
}

describe('admin changes are in the audit trail before they are acknowledged (issue 12, 3c)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('SQLite: kill -9 under admin traffic loses no acknowledged change', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    // The default batch interval (50 ms): data-plane records keep it; admin changes must not wait for it.
    const { dir, file } = booksConfig(up.url, { admin: '  token: ${ADMIN_TOKEN}', top: `audit:\n  enabled: true\n  instance: ${INSTANCE}\n` });
    const gw = await startGatewayProcess(file, { env: { ADMIN_TOKEN: TOKEN } });
    await gw.waitForLog((l) => l.msg === 'audit trail started');
    const acked = await changesThenKill9(gw, 300);
    assert.ok(acked.length >= 300);
    await assertEveryChangeRecorded(new SqliteAuditStore(join(dir, '.portcullis', 'audit.db')), join(dir, '.portcullis', 'audit-signing-key.pem'), acked);
  });

  test('PostgreSQL: kill -9 under admin traffic loses no acknowledged change', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const prefix = `pcl_audit_k${randomBytes(4).toString('hex')}_`;
    cleanup.push(async () => { const s = new PostgresAuditStore({ url: DATABASE_URL, tablePrefix: prefix }); await s.drop(); await s.close(); });
    const { dir, file } = booksConfig(up.url, {
      admin: '  token: ${ADMIN_TOKEN}',
      top: `audit:\n  enabled: true\n  instance: ${INSTANCE}\n  backend: postgres\n  postgresUrl: ${DATABASE_URL}\n  tablePrefix: ${prefix}\n`,
    });
    const gw = await startGatewayProcess(file, { env: { ADMIN_TOKEN: TOKEN } });
    await gw.waitForLog((l) => l.msg === 'audit trail started');
    const acked = await changesThenKill9(gw, 300);
    assert.ok(acked.length >= 300);
    await assertEveryChangeRecorded(new PostgresAuditStore({ url: DATABASE_URL, tablePrefix: prefix }), join(dir, '.portcullis', 'audit-signing-key.pem'), acked);
  });
});
