import { signCheckpoint, type AuditSigner } from './checkpoint.js';
import type { AuditStore } from './store.js';

const DAY_MS = 86_400_000;

/**
 * Deletes the records of `instance` older than `days` days, keeping the chain verifiable:
 * in the same transaction it writes a signed `retention` checkpoint holding the hash of the
 * last deleted record, which the verifier uses as the predecessor of the first kept one.
 * Returns the number of records deleted.
 *
 * @example
 * await applyRetention(store, 'gw-1', signer, 90);
 */
export async function applyRetention(store: AuditStore, instance: string, signer: AuditSigner, days: number, now: Date = new Date()): Promise<number> {
  if (days <= 0) return 0;
  const first = (await store.records(instance, 0, 1))[0];
  if (first === undefined) return 0;
  const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
  const head = await store.head(instance);
  const cutSeq = (await store.firstSeqAtOrAfter(instance, cutoff)) ?? (head === undefined ? 0 : head.seq + 1);
  if (cutSeq <= first.seq) return 0;
  const lastCut = (await store.records(instance, cutSeq - 2, 1))[0];
  if (lastCut === undefined || lastCut.seq !== cutSeq - 1) return 0;
  const anchor = signCheckpoint(signer, { instance, seq: lastCut.seq, hash: lastCut.hash, time: now.toISOString(), kind: 'retention' });
  return store.cut(instance, cutSeq, anchor);
}
