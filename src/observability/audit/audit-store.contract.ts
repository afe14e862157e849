import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signCheckpoint, type AuditSigner } from './checkpoint.js';
import { chainRecord, GENESIS_HASH, type StoredAuditRecord } from './record.js';
import { applyRetention } from './retention.js';
import type { AuditStore } from './store.js';
import { verifyChain } from './verify.js';
import { AuditWriter } from './writer.js';

/** What a back-end's test hands the contract: a fresh empty store and raw SQL on its tables. */
export interface ContractSubject {
  readonly store: AuditStore;
  /** Runs raw SQL; `{records}` and `{checkpoints}` are replaced by the table names. */
  sql(statement: string): Promise<void>;
  cleanup(): Promise<void>;
}

function signer(): AuditSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
}

function chain(instance: string, n: number, from = 1, prev = GENESIS_HASH, day = '2026-03-01'): StoredAuditRecord[] {
  const out: StoredAuditRecord[] = [];
  for (let seq = from; seq < from + n; seq++) {
    const r = chainRecord(prev, {
      seq, instance, time: `${day}T00:00:${String(seq % 60).padStart(2, '0')}.${String(seq).padStart(3, '0').slice(-3)}Z`,
      kind: seq % 2 === 0 ? 'authz.denied' : 'authn.failure', principal: `user-${seq % 3}`, client: '10.0.0.1',
      api: 'books', operationId: 'getBook', requestId: `req-${seq}`, reason: 'scope', decision: 'deny',
      detail: { note: `entry number${seq}`, nested: { emoji: 'é✓', n: seq, list: [1, 'two', null] } },
    });
    prev = r.hash;
    out.push(r);
  }
  return out;
}

/**
 * The behaviour every AuditStore must have, including detection of tampering through its
 * own tables. Each back-end's test calls this once.
 *
 * @example
 * auditStoreContract('sqlite', async () => ({ store, sql: async (s) => db.exec(s), cleanup: async () => {} }));
 */
export function auditStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`AuditStore contract: ${name}`, () => {
    let s: ContractSubject;
    let key: AuditSigner;
    let n = 0;
    const inst = () => `gw-${++n}`;
    before(async () => { s = await make(); key = signer(); await s.store.init(); await s.store.init(); });
    after(async () => { await s.cleanup(); });

    test('an unknown instance has no head and no records', async () => {
      assert.equal(await s.store.head('nobody'), undefined);
      assert.deepEqual(await s.store.records('nobody', 0, 10), []);
    });

    test('records round-trip exactly, by seq, in pages', async () => {
      const i = inst();
      const rs = chain(i, 5);
      await s.store.append(rs);
      assert.deepEqual(await s.store.records(i, 0, 10), rs);
      assert.deepEqual(await s.store.records(i, 2, 2), rs.slice(2, 4));
      assert.deepEqual(await s.store.head(i), { seq: 5, hash: rs[4]!.hash });
      assert.ok((await s.store.instances()).includes(i));
    });

    test('absent optional fields stay absent', async () => {
      const i = inst();
      const r = chainRecord(GENESIS_HASH, { seq: 1, instance: i, time: '2026-03-01T00:00:00.000Z', kind: 'config.reload', detail: {} });
      await s.store.append([r]);
      assert.deepEqual(await s.store.records(i, 0, 1), [r]);
    });

    test('a batch is atomic: a conflicting seq writes nothing', async () => {
      const i = inst();
      const rs = chain(i, 3);
      await s.store.append([rs[0]!]);
      await assert.rejects(s.store.append([rs[1]!, rs[2]!, rs[0]!]));
      assert.equal((await s.store.records(i, 0, 10)).length, 1);
    });

    test('checkpoints round-trip; a checkpoint alone can be appended', async () => {
      const i = inst();
      const rs = chain(i, 2);
      const cp = signCheckpoint(key, { instance: i, seq: 2, hash: rs[1]!.hash, time: '2026-03-01T00:01:00.000Z', kind: 'periodic' });
      await s.store.append(rs.slice(0, 1));
      await s.store.append(rs.slice(1), undefined);
      await s.store.append([], cp);
      assert.deepEqual(await s.store.checkpoints(i), [cp]);
    });

    test('search filters by every field, time range and words, newest first', async () => {
      const i = inst();
      await s.store.append(chain(i, 12));
      const seqs = async (q: Parameters<AuditStore['search']>[0]) => (await s.store.search({ instance: i, ...q })).map((r) => r.seq);
      assert.deepEqual(await seqs({ principal: 'user-1', kind: 'authn.failure' }), [7, 1]);
      assert.deepEqual(await seqs({ requestId: 'req-4' }), [4]);
      assert.deepEqual(await seqs({ since: '2026-03-01T00:00:10.000Z', until: '2026-03-01T00:00:12.000Z' }), [11, 10]);
      assert.deepEqual(await seqs({ text: 'number5' }), [5]);
      assert.deepEqual(await seqs({ text: 'entry number3' }), [3]);
      assert.deepEqual(await seqs({ api: 'books', operationId: 'getBook', client: '10.0.0.1', limit: 2 }), [12, 11]);
      assert.deepEqual(await seqs({ api: 'other' }), []);
    });

    test('search input is data, never query syntax', async () => {
      const i = inst();
      await s.store.append(chain(i, 3));
      for (const text of ['" OR 1=1 --', "'; DROP TABLE x; --", 'NEAR(a b)', 'a* AND ^b', ') | ! :', '"']) {
        assert.deepEqual(await s.store.search({ instance: i, text }), [], text);
      }
      assert.deepEqual(await s.store.search({ instance: i, principal: "' OR '1'='1" }), []);
      assert.equal((await s.store.records(i, 0, 10)).length, 3);
    });

    test('cut deletes old records and checkpoints and keeps the anchor', async () => {
      const i = inst();
      const rs = chain(i, 6);
      const old = signCheckpoint(key, { instance: i, seq: 2, hash: rs[1]!.hash, time: 't', kind: 'periodic' });
      await s.store.append(rs, old);
      assert.equal(await s.store.firstSeqAtOrAfter(i, rs[3]!.time), 4);
      const anchor = signCheckpoint(key, { instance: i, seq: 3, hash: rs[2]!.hash, time: 't2', kind: 'retention' });
      assert.equal(await s.store.cut(i, 4, anchor), 3);
      assert.deepEqual((await s.store.records(i, 0, 10)).map((r) => r.seq), [4, 5, 6]);
      assert.deepEqual(await s.store.checkpoints(i), [anchor]);
      assert.equal(await s.store.search({ instance: i, text: 'number2' }).then((r) => r.length), 0);
    });

    describe('verification through this store', () => {
      async function written(count: number, checkpointEvery = 10): Promise<string> {
        const i = inst();
        const w = await AuditWriter.open({ store: s.store, instance: i, signer: key, batchSize: 7, flushIntervalMs: 1, checkpointEvery });
        await Promise.all(Array.from({ length: count }, (_, k) => w.append({ kind: 'admin.action', principal: 'ops', detail: { k } })));
        await w.flush();
        // Not close(): that would close the shared store.
        return i;
      }
      const verify = (i: string) => verifyChain(s.store, i, key.publicKey);
      const t = (i: string, sql: string) => s.sql(sql.replaceAll('$I', `'${i}'`));

      test('an untouched chain verifies', async () => {
        const i = await written(30);
        const r = await verify(i);
        assert.equal(r.ok, true, r.problem?.message);
        assert.equal(r.records, 30);
        assert.ok(r.checkpoints >= 2);
      });

      test('a modified field is reported at its seq', async () => {
        const i = await written(30);
        await t(i, "UPDATE {records} SET principal = 'admin' WHERE instance = $I AND seq = 13");
        assert.deepEqual((await verify(i)).problem, { kind: 'modified', seq: 13, message: 'record 13 does not match its hash (a field was changed)' });
      });

      test('a modified detail is reported at its seq', async () => {
        const i = await written(30);
        await t(i, `UPDATE {records} SET detail = '{"k":99}' WHERE instance = $I AND seq = 22`);
        assert.equal((await verify(i)).problem?.seq, 22);
      });

      test('a deleted middle record is reported as missing', async () => {
        const i = await written(30);
        await t(i, 'DELETE FROM {records} WHERE instance = $I AND seq = 17');
        assert.deepEqual((await verify(i)).problem, { kind: 'missing', seq: 17, message: 'record 17 is missing' });
      });

      test('a forged middle record with a self-consistent hash is reported as a broken link', async () => {
        // Record 13 replaced by one that hashes correctly over its own (made-up) prevHash: only the
        // link to record 12 shows the forgery. Record 14 then no longer follows 13 either.
        const i = await written(30);
        const [r13] = await s.store.records(i, 12, 1);
        const forged = chainRecord('ab'.repeat(32), { ...r13!, principal: 'admin' });
        await t(i, `UPDATE {records} SET principal = 'admin', prev_hash = '${forged.prevHash}', hash = '${forged.hash}' WHERE instance = $I AND seq = 13`);
        const r = await verify(i);
        assert.equal(r.ok, false);
        assert.deepEqual(r.problem, { kind: 'broken-link', seq: 13, message: 'record 13 is intact but does not follow record 12 (a record was replaced or removed before it)' });
        assert.equal(r.records, 12);
      });

      test('two swapped records are reported as reordered', async () => {
        const i = await written(30);
        await t(i, 'UPDATE {records} SET seq = -1 WHERE instance = $I AND seq = 8');
        await t(i, 'UPDATE {records} SET seq = 8 WHERE instance = $I AND seq = 9');
        await t(i, 'UPDATE {records} SET seq = 9 WHERE instance = $I AND seq = -1');
        assert.deepEqual((await verify(i)).problem, { kind: 'reordered', seq: 8, message: 'record stored at seq 8 was written as seq 9' });
      });

      test('a truncated tail before the last checkpoint is reported', async () => {
        const i = await written(25);
        await t(i, 'DELETE FROM {records} WHERE instance = $I AND seq > 15');
        const r = await verify(i);
        assert.equal(r.problem?.kind, 'truncated');
        assert.equal(r.problem?.seq, 16);
      });

      test('a rewritten chain (re-hashed by someone without the key) fails its checkpoint', async () => {
        const i = await written(10);
        const rs = await s.store.records(i, 0, 100);
        let prev = GENESIS_HASH;
        await t(i, 'DELETE FROM {records} WHERE instance = $I');
        const forged = rs.map((r) => { const f = chainRecord(prev, { ...r, principal: 'nobody' }); prev = f.hash; return f; });
        await s.store.append(forged);
        assert.equal((await verify(i)).problem?.kind, 'checkpoint-mismatch');
      });

      test('a forged checkpoint signature is reported', async () => {
        const i = await written(10);
        await t(i, "UPDATE {checkpoints} SET signature = 'AAAA' WHERE instance = $I");
        assert.equal((await verify(i)).problem?.kind, 'bad-signature');
      });

      test('retention keeps the chain verifiable; deleting the anchor does not', async () => {
        const i = inst();
        const w = await AuditWriter.open({ store: s.store, instance: i, signer: key, flushIntervalMs: 1, checkpointEvery: 4 });
        for (let k = 0; k < 10; k++) await w.append({ kind: 'admin.action', time: `2026-01-${String(k + 1).padStart(2, '0')}T00:00:00.000Z` });
        const deleted = await applyRetention(s.store, i, key, 5, new Date('2026-01-11T00:00:00.000Z'));
        assert.equal(deleted, 5);
        await w.append({ kind: 'admin.action' });
        await w.checkpoint();
        const ok = await verify(i);
        assert.equal(ok.ok, true, ok.problem?.message);
        assert.equal(ok.firstSeq, 6);
        assert.equal(ok.lastSeq, 11);
        await t(i, "DELETE FROM {checkpoints} WHERE instance = $I AND kind = 'retention'");
        assert.equal((await verify(i)).problem?.kind, 'missing');
      });
    });
  });
}
