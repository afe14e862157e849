import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import type { AuditCheckpoint } from './checkpoint.js';
import type { StoredAuditRecord } from './record.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { verifyChain } from './verify.js';
import { AuditDroppedError, AuditWriter } from './writer.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { privateKey, publicKey };

/** A SQLite store in memory that counts transactions and can be told to fail. */
class SpyStore extends SqliteAuditStore {
  batches: number[] = [];
  failNext = false;
  constructor() { super(':memory:'); }
  override async append(records: readonly StoredAuditRecord[], cp?: AuditCheckpoint): Promise<void> {
    if (this.failNext) { this.failNext = false; throw new Error('disk full'); }
    this.batches.push(records.length);
    return super.append(records, cp);
  }
}

test('records are written in batches and acknowledged with their seq', async () => {
  const store = new SpyStore();
  const w = await AuditWriter.open({ store, instance: 'gw', signer, batchSize: 10, flushIntervalMs: 5 });
  const seqs = await Promise.all(Array.from({ length: 25 }, () => w.append({ kind: 'admin.action' })));
  assert.deepEqual(seqs, Array.from({ length: 25 }, (_, i) => i + 1));
  assert.ok(store.batches.length <= 3, String(store.batches));
  assert.equal(w.stats.written, 25);
  assert.equal((await verifyChain(store, 'gw', publicKey)).ok, true);
  await w.close();
});

test('a full queue drops, counts and never blocks', async () => {
  const store = new SpyStore();
  const problems: string[] = [];
  const w = await AuditWriter.open({ store, instance: 'gw', signer, queueLimit: 3, flushIntervalMs: 1000, onProblem: (what) => problems.push(what) });
  const acks = [1, 2, 3].map(() => w.append({ kind: 'k' }));
  await assert.rejects(w.append({ kind: 'k' }), AuditDroppedError);
  assert.equal(w.offer({ kind: 'k' }), false);
  assert.equal(w.stats.dropped, 2);
  assert.deepEqual(problems, ['dropped', 'dropped']);
  await w.flush();
  assert.deepEqual(await Promise.all(acks), [1, 2, 3]);
  await w.close();
});

test('a failed batch is rejected and the chain continues from the last committed record', async () => {
  const store = new SpyStore();
  const w = await AuditWriter.open({ store, instance: 'gw', signer, flushIntervalMs: 1 });
  assert.equal(await w.append({ kind: 'k' }), 1);
  store.failNext = true;
  await assert.rejects(w.append({ kind: 'k' }), /disk full/);
  assert.equal(await w.append({ kind: 'k' }), 2);
  assert.equal(w.stats.failed, 1);
  assert.equal((await verifyChain(store, 'gw', publicKey)).ok, true);
  await w.close();
});

test('a reopened writer resumes the chain; close writes a covering checkpoint', async () => {
  const store = new SpyStore();
  await store.init();
  const w1 = await AuditWriter.open({ store, instance: 'gw', signer, flushIntervalMs: 1, checkpointEvery: 1000 });
  await w1.append({ kind: 'a', detail: { password: 'hunter2' } });
  await w1.flush();
  await w1.checkpoint();
  const w2 = await AuditWriter.open({ store, instance: 'gw', signer, flushIntervalMs: 1 });
  assert.equal(await w2.append({ kind: 'b' }), 2);
  await w2.checkpoint();
  const report = await verifyChain(store, 'gw', publicKey);
  assert.equal(report.ok, true, report.problem?.message);
  assert.equal(report.records, 2);
  assert.equal((await store.checkpoints('gw')).at(-1)?.seq, 2);
  assert.deepEqual((await store.records('gw', 0, 1))[0]?.detail, { password: '[REDACTED]' });
  await w2.close();
});

test('a burst of 100,000 records keeps memory bounded by queueLimit', async () => {
  const store = new SpyStore();
  const w = await AuditWriter.open({ store, instance: 'gw', signer, queueLimit: 1000, batchSize: 500, flushIntervalMs: 1000 });
  let accepted = 0;
  for (let i = 0; i < 100_000; i++) if (w.offer({ kind: 'authn.failure', detail: { i } })) accepted += 1;
  assert.ok(w.stats.queued <= 1000);
  assert.equal(w.stats.dropped, 100_000 - accepted);
  await w.flush();
  assert.equal(w.stats.written, accepted);
  assert.equal((await verifyChain(store, 'gw', publicKey)).ok, true);
  await w.close();
});
