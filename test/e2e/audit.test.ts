import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fixture, REPO_ROOT } from '../helpers/paths.js';
import { runCli, startGatewayProcess, writeConfig } from '../helpers/gateway.js';
import { E2E_PREAMBLE, booksConfig } from '../helpers/config.js';
import { startUpstream } from '../helpers/upstream.js';
import { loadSigner } from '../../src/observability/audit/checkpoint.js';
import { PostgresAuditStore } from '../../src/observability/audit/postgres-store.js';
import { SqliteAuditStore } from '../../src/observability/audit/sqlite-store.js';
import type { AuditStore } from '../../src/observability/audit/store.js';
import { verifyChain } from '../../src/observability/audit/verify.js';
import { chainRecord } from '../../src/observability/audit/record.js';
import { AuditWriter } from '../../src/observability/audit/writer.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// Runs compiled (dist/, .js) and under tsx (.ts): pick the fixture that matches.
const ts = import.meta.url.endsWith('.ts');
const CHILD = ts ? fixture('audit', 'append-child.ts') : join(REPO_ROOT, 'dist', 'test', 'fixtures', 'audit', 'append-child.js');

/** Runs the fixture, kills it with SIGKILL after `acks` acknowledgements, returns the acknowledged seqs. */
function appendThenKill9(args: string[], env: NodeJS.ProcessEnv, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), CHILD, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: number[] = [];
    let buf = '';
    let err = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      // Lines read after the kill were still acknowledged before it: count them all.
      for (const l of lines) if (l.startsWith('ack ')) seen.push(Number(l.slice(4)));
      if (!killed && seen.length >= acks) { killed = true; child.kill('SIGKILL'); }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err}`));
      else resolve(seen);
    });
  });
}

async function assertDurable(store: AuditStore, instance: string, keyFile: string, acked: number[]): Promise<void> {
  await store.init();
  const present = new Set<number>();
  let after = 0;
  for (;;) {
    const page = await store.records(instance, after, 1000);
    if (page.length === 0) break;
    for (const r of page) present.add(r.seq);
    after = page.at(-1)!.seq;
  }
  const lost = acked.filter((s) => !present.has(s));
  assert.deepEqual(lost, [], 'every acknowledged record survives kill -9');
  const report = await verifyChain(store, instance, loadSigner(keyFile, { create: false }).publicKey);
  assert.equal(report.ok, true, report.problem?.message);
  assert.ok(report.records >= acked.length);
  assert.ok(report.checkpoints >= 1);
  await store.close();
}

describe('audit trail', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('SQLite: every acknowledged record survives kill -9 and the chain verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-audit-'));
    const file = join(dir, 'audit.db');
    const key = join(dir, 'key.pem');
    const acked = await appendThenKill9(['sqlite', file], { AUDIT_KEY: key, AUDIT_INSTANCE: 'gw-kill' }, 400);
    assert.ok(acked.length >= 400);
    await assertDurable(new SqliteAuditStore(file), 'gw-kill', key, acked);
  });

  test('PostgreSQL: every acknowledged record survives kill -9 and the chain verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-audit-'));
    const key = join(dir, 'key.pem');
    const prefix = `pcl_audit_e${randomBytes(4).toString('hex')}_`;
    const acked = await appendThenKill9(['postgres', DATABASE_URL, prefix], { AUDIT_KEY: key, AUDIT_INSTANCE: 'gw-kill' }, 400);
    const store = new PostgresAuditStore({ url: DATABASE_URL, tablePrefix: prefix });
    cleanup.push(async () => { const s = new PostgresAuditStore({ url: DATABASE_URL, tablePrefix: prefix }); await s.drop(); await s.close(); });
    await assertDurable(store, 'gw-kill', key, acked);
  });

  test('the gateway audits config reloads; audit verify and search work on its trail and verify detects tampering', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file, dir } = booksConfig(up.url, { top: 'audit:\n  enabled: true\n  instance: gw-e2e\n  flushIntervalMs: 5\n' });
    const none = await runCli(['audit', 'search', '-c', file]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no audit database at .*audit\.db/);
    const gw = await startGatewayProcess(file);
    await gw.waitForLog((l) => l.msg === 'audit trail started');
    // start.ts installs its SIGHUP handler just after the "listening" line: one round trip first, or the signal can win the race.
    await fetch(`${gw.url}/v1/books`);
    gw.child.kill('SIGHUP');
    await gw.waitForLog((l) => l.msg === 'config reloaded');
    assert.equal(await gw.stop(), 0);

    const keyFile = join(dir, '.portcullis', 'audit-signing-key.pem');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(existsSync(join(dir, '.portcullis', 'audit.db')));

    const ok = await runCli(['audit', 'verify', '-c', file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK gw-e2e: 1 records \(seq 1\.\.1\), 1 signed checkpoints$/m);

    const found = await runCli(['audit', 'search', '-c', file, '--kind', 'config.reload', '--text', 'SIGHUP', '--json']);
    assert.equal(found.code, 0, found.stderr);
    const rows = JSON.parse(found.stdout) as { kind: string; reason: string; decision: string; instance: string }[];
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]!.kind, rows[0]!.reason, rows[0]!.decision, rows[0]!.instance], ['config.reload', 'SIGHUP', 'applied', 'gw-e2e']);
    const table = await runCli(['audit', 'search', '-c', file, '--principal', "x' OR '1'='1"]);
    assert.equal(table.code, 0);
    assert.equal(table.stdout.trim().split('\n').length, 1, 'header only');
    const bad = await runCli(['audit', 'search', '-c', file, '--since', 'yesterday-ish']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--since: not a date/);

    const db = new Database(join(dir, '.portcullis', 'audit.db'));
    db.prepare("UPDATE audit_records SET reason = 'file-watch' WHERE seq = 1").run();
    db.close();
    const tampered = await runCli(['audit', 'verify', '-c', file]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /^FAIL gw-e2e: modified at seq 1: record 1 does not match its hash/m);
  });

  test('a keys file that stops loading (key.file_failed) is recorded in the audit trail, which still verifies', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file, dir } = writeConfig(`${E2E_PREAMBLE}audit:
  enabled: true
  instance: gw-keys
  flushIntervalMs: 5
apis:
  - name: books
    upstream: ${up.url}
    openapi: ./keys-books.yaml
    stages:
      authn:
        schemes:
          apiKey: { kind: api-key, file: ./keys.yaml, pepper: "\${PCL_E2E_PEPPER}", reloadCheckMs: 0 }
`, { 'keys-books.yaml': readFileSync(fixture('authn-keys', 'keys-books.yaml'), 'utf8'), 'keys.yaml': 'keys: []\n' });
    const env = { PCL_E2E_PEPPER: 'audit-e2e-pepper-0123456789abcdef' };
    const created = await runCli(['keys', 'create', '--client', 'billing', '--file', join(dir, 'keys.yaml'), '--pepper-env', 'PCL_E2E_PEPPER'], env);
    assert.equal(created.code, 0, created.stderr);
    const gw = await startGatewayProcess(file, { env });
    cleanup.push(() => gw.stop());
    await gw.waitForLog((l) => l.msg === 'audit trail started');
    rmSync(join(dir, 'keys.yaml'));
    // The file is checked on the request path when a key is looked up: the first such request
    // after the removal finds it gone (and is served by the keys already loaded).
    assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { 'x-api-key': created.stdout.trim() } })).status, 200);
    await gw.waitForLog((l) => l.event === 'key.file_failed');
    assert.equal(await gw.stop(), 0);

    const found = await runCli(['audit', 'search', '-c', file, '--kind', 'key.file_failed', '--json'], env);
    assert.equal(found.code, 0, found.stderr);
    const rows = JSON.parse(found.stdout) as { kind: string; reason: string; instance: string; detail: Record<string, unknown> }[];
    assert.deepEqual(rows.map((r) => [r.kind, r.reason, r.instance, r.detail['severity'], r.detail['stage']]), [['key.file_failed', 'missing', 'gw-keys', 'high', 'authn']]);
    const ok = await runCli(['audit', 'verify', '-c', file], env);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  });

  test('audit verify finds a forged middle record whose own hash is consistent (broken link) and exits 1', async () => {
    const { file, dir } = booksConfig('http://127.0.0.1:9', { top: 'audit:\n  enabled: true\n  instance: gw-forge\n' });
    const dbFile = join(dir, '.portcullis', 'audit.db');
    const store = new SqliteAuditStore(dbFile);
    const signer = loadSigner(join(dir, '.portcullis', 'audit-signing-key.pem'), { create: true });
    const w = await AuditWriter.open({ store, instance: 'gw-forge', signer, flushIntervalMs: 1 });
    for (let k = 1; k <= 5; k++) await w.append({ kind: 'admin.action', principal: 'ops', detail: { k } });
    await w.close();
    const ok = await runCli(['audit', 'verify', '-c', file]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK gw-forge: 5 records \(seq 1\.\.5\), 1 signed checkpoints$/m);

    // Record 3 rewritten with a chosen prevHash and its matching hash; records 4 and 5 and the
    // checkpoint (on 5) untouched: only the link from record 2 to record 3 is broken.
    const reader = new SqliteAuditStore(dbFile);
    await reader.init();
    const [r3] = await reader.records('gw-forge', 2, 1);
    await reader.close();
    const forged = chainRecord('cd'.repeat(32), { ...r3!, principal: 'attacker' });
    const db = new Database(dbFile);
    db.prepare("UPDATE audit_records SET principal = 'attacker', prev_hash = ?, hash = ? WHERE seq = 3").run(forged.prevHash, forged.hash);
    db.close();
    const bad = await runCli(['audit', 'verify', '-c', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAIL gw-forge: broken-link at seq 3: record 3 is intact but does not follow record 2/m);
  });
});
