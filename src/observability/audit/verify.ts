import type { KeyObject } from 'node:crypto';
import { checkpointSignatureValid, type AuditCheckpoint } from './checkpoint.js';
import { GENESIS_HASH, recordHash, type StoredAuditRecord } from './record.js';
import type { AuditStore } from './store.js';

/** What went wrong first in a chain. */
export type AuditProblemKind = 'modified' | 'missing' | 'reordered' | 'broken-link' | 'truncated' | 'checkpoint-mismatch' | 'bad-signature';

/** The first problem found, with the seq it is about. */
export interface AuditProblem {
  readonly kind: AuditProblemKind;
  readonly seq: number;
  readonly message: string;
}

/** The result of verifying one instance's chain. */
export interface ChainReport {
  readonly instance: string;
  readonly ok: boolean;
  /** Records checked (up to the problem, when there is one). */
  readonly records: number;
  readonly checkpoints: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  readonly problem?: AuditProblem;
}

// A reordered record still hashes correctly under its original seq; search this far for it.
const REORDER_WINDOW = 1024;
const PAGE = 1000;

function originalSeq(r: StoredAuditRecord): number | undefined {
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const s of [r.seq - d, r.seq + d]) {
      if (s >= 1 && recordHash(r.prevHash, { ...r, seq: s }) === r.hash) return s;
    }
  }
  return undefined;
}

function diagnose(r: StoredAuditRecord): AuditProblem {
  if (recordHash(r.prevHash, r) === r.hash) {
    return { kind: 'broken-link', seq: r.seq, message: `record ${r.seq} is intact but does not follow record ${r.seq - 1} (a record was replaced or removed before it)` };
  }
  const orig = originalSeq(r);
  if (orig !== undefined) return { kind: 'reordered', seq: r.seq, message: `record stored at seq ${r.seq} was written as seq ${orig}` };
  return { kind: 'modified', seq: r.seq, message: `record ${r.seq} does not match its hash (a field was changed)` };
}

/**
 * Verifies one instance's chain: every record's hash, every link, seqs without gaps from
 * seq 1 or from a signed retention anchor, every checkpoint's signature, and that every
 * checkpoint's record is present with the signed hash (so truncation up to the last
 * checkpoint is detected). Stops at the first problem.
 *
 * @example
 * const report = await verifyChain(store, 'gw-1', signer.publicKey);
 * if (!report.ok) console.error(report.problem?.message);
 */
export async function verifyChain(store: AuditStore, instance: string, publicKey: KeyObject): Promise<ChainReport> {
  const cps = await store.checkpoints(instance);
  let records = 0;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  const report = (problem?: AuditProblem): ChainReport =>
    ({ instance, ok: problem === undefined, records, checkpoints: cps.length, firstSeq, lastSeq, ...(problem === undefined ? {} : { problem }) });

  for (const c of cps) {
    if (!checkpointSignatureValid(publicKey, c)) return report({ kind: 'bad-signature', seq: c.seq, message: `checkpoint at seq ${c.seq} has an invalid signature` });
  }
  const bySeq = new Map<number, AuditCheckpoint[]>();
  for (const c of cps) bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);

  let page = await store.records(instance, 0, PAGE);
  let prev = GENESIS_HASH;
  let expected = 1;
  let anchorSeq = 0;
  const first = page[0];
  const lastAnchor = cps.filter((c) => c.kind === 'retention').at(-1);
  if (first !== undefined && first.seq > 1) {
    const anchor = bySeq.get(first.seq - 1)?.find((c) => c.kind === 'retention');
    if (anchor === undefined) {
      return report({ kind: 'missing', seq: 1, message: `records 1..${first.seq - 1} are missing and no signed retention checkpoint anchors record ${first.seq}` });
    }
    prev = anchor.hash;
    expected = first.seq;
    anchorSeq = anchor.seq;
  } else if (first === undefined && lastAnchor !== undefined) {
    anchorSeq = lastAnchor.seq;
  }

  while (page.length > 0) {
    for (const r of page) {
      if (r.seq !== expected) {
        return report(r.seq > expected
          ? { kind: 'missing', seq: expected, message: r.seq - 1 === expected ? `record ${expected} is missing` : `records ${expected}..${r.seq - 1} are missing` }
          : { kind: 'reordered', seq: r.seq, message: `record ${r.seq} appears after record ${expected - 1}` });
      }
      if (r.prevHash !== prev || recordHash(prev, r) !== r.hash) return report(diagnose(r));
      for (const c of bySeq.get(r.seq) ?? []) {
        if (c.hash !== r.hash) return report({ kind: 'checkpoint-mismatch', seq: r.seq, message: `record ${r.seq} differs from the signed ${c.kind} checkpoint (the chain was rewritten)` });
      }
      firstSeq ??= r.seq;
      lastSeq = r.seq;
      records += 1;
      prev = r.hash;
      expected += 1;
    }
    page = await store.records(instance, expected - 1, PAGE);
  }

  const last = lastSeq ?? anchorSeq;
  const beyond = cps.filter((c) => c.seq > last);
  if (beyond.length > 0) {
    const c = beyond.at(-1)!;
    return report({ kind: 'truncated', seq: last + 1, message: `records ${last + 1}..${c.seq} are missing: a signed checkpoint covers seq ${c.seq} but the chain ends at ${last}` });
  }
  return report();
}

/**
 * Verifies every instance's chain in the store.
 *
 * @example
 * const reports = await verifyStore(store, signer.publicKey);
 */
export async function verifyStore(store: AuditStore, publicKey: KeyObject): Promise<ChainReport[]> {
  const out: ChainReport[] = [];
  for (const instance of await store.instances()) out.push(await verifyChain(store, instance, publicKey));
  return out;
}
