/**
 * The candidate groups' automaton scans of one phase (ADR 0006): per group, which members have
 * one of their literals in a value they could read, with verdicts per raw value kept across
 * requests (ADR 0025) and one flag array per phase (ADR 0030).
 */
import type { Transaction } from './transaction.js';
import { isMatchedName } from './matched.js';
import type { CandidateGroup, PhasePlan, ValueVerdicts } from './rules/plan.js';
import { chainTrigger, transformed, type TransformMemo } from './transform-memo.js';
import { LedgerScan } from './miss-ledger.js';

/**
 * Whether a value contains literals of members of `g` (marked in `scratch`, which must be all
 * zeros); computed without looking at any cache.
 */
function scanValue(memo: TransformMemo, g: CandidateGroup, trigger: number, value: string, scratch: Uint8Array): boolean {
  let n = 0;
  const facts = memo.facts.get(value);
  // A value the chain leaves as it is (known from an earlier look): scanned as is, no chain lookup.
  if (facts !== undefined && (facts.mask & trigger) === 0) n = g.automaton.scan(value, scratch);
  else {
    const steps = transformed(memo, g.chainKey, g.transforms, value);
    if (g.multiMatch) for (const v of steps) n += g.automaton.scan(v, scratch);
    else n = g.automaton.scan(steps[steps.length - 1]!, scratch);
  }
  return n !== 0;
}

/** Where each group's per-member flags start in one array per phase, and the largest group. */
interface GroupLayout {
  readonly offsets: Int32Array;
  readonly total: number;
  readonly widest: number;
  /** Where each group's per-source "scanned" flags start, and how many there are in all. */
  readonly sourceOffsets: Int32Array;
  readonly sources: number;
}

const layouts = new WeakMap<PhasePlan, GroupLayout>();

function layoutOf(plan: PhasePlan): GroupLayout {
  let l = layouts.get(plan);
  if (l === undefined) {
    const offsets = new Int32Array(plan.groups.length);
    const sourceOffsets = new Int32Array(plan.groups.length);
    let total = 0;
    let widest = 0;
    let sources = 0;
    plan.groups.forEach((g, i) => {
      offsets[i] = total; total += g.automaton.owners; widest = Math.max(widest, g.automaton.owners);
      sourceOffsets[i] = sources; sources += g.sources.length;
    });
    l = { offsets, total, widest, sourceOffsets, sources };
    layouts.set(plan, l);
  }
  return l;
}

/**
 * One phase's group scans: which sources of which groups were scanned, and per member of each
 * group whether a value scanned so far can match it, in arrays per phase, not per group (ADR 0030).
 */
export interface PhaseScan {
  readonly tx: Transaction;
  readonly memo: TransformMemo;
  readonly plan: PhasePlan;
  readonly seen: Map<string, ValueVerdicts>;
  readonly offsets: Int32Array;
  readonly sourceOffsets: Int32Array;
  /** Per group and source: scanned in this phase. */
  readonly scanned: Uint8Array;
  readonly any: Uint8Array;
  /** All zeros between uses; a value that hits gets a copy of its first `owners` entries. */
  readonly scratch: Uint8Array;
  /** The rules' known misses per value (ADR 0038). */
  readonly ledger: LedgerScan;
}

/** Never written: what a phase without candidate groups (CRS's response phases) gets instead of new empty arrays. */
const EMPTY = new Uint8Array(0);
const bytes = (n: number): Uint8Array => n === 0 ? EMPTY : new Uint8Array(n);

export function phaseScan(tx: Transaction, memo: TransformMemo, plan: PhasePlan): PhaseScan {
  const l = layoutOf(plan);
  return {
    tx, memo, plan, seen: new Map(), offsets: l.offsets, sourceOffsets: l.sourceOffsets, scanned: bytes(l.sources),
    any: bytes(l.total), scratch: bytes(l.widest), ledger: new LedgerScan(tx, plan.ledger, plan.rules),
  };
}

/** Scans one value for group `gi` (verdict from this phase, the plan's cache, or the automaton) and marks its members. */
function scanOne(ps: PhaseScan, g: CandidateGroup, gi: number, trigger: number, value: string): void {
  let v = ps.seen.get(value);
  if (v === undefined) {
    v = ps.plan.verdicts.get(value);
    if (v === undefined) { v = []; ps.plan.verdicts.set(value, v); }
    ps.seen.set(value, v);
  }
  const owners = g.automaton.owners;
  let r = v[gi];
  // Verdicts are filled in place, also in a cached array: the same value gives the same verdict.
  if (r === undefined) {
    const scratch = ps.scratch;
    if (scanValue(ps.memo, g, trigger, value, scratch)) { r = scratch.slice(0, owners); scratch.fill(0, 0, owners); } else r = null;
    v[gi] = r;
  }
  if (r !== null) {
    const any = ps.any;
    const at = ps.offsets[gi]!;
    for (let i = 0; i < owners; i++) if (r[i] === 1) any[at + i] = 1;
  }
}

/**
 * Runs group `gi`'s automaton over the values of its sources `which` not scanned yet in this
 * phase (a member's: `plan.sourcesOf`), transformed by the group's chain, and records which
 * members saw one of their literals (ADR 0006) in `ps.any`. Once a member's sources are scanned
 * its flag is final (a value of another source can only set it: a superset, as before).
 * `ps.seen` holds this phase's values; a short value's verdicts come from, and go to, the
 * plan's cross-request cache (ADR 0025).
 */
export function scanGroup(ps: PhaseScan, gi: number, which: Int32Array): void {
  const tx = ps.tx;
  const g = ps.plan.groups[gi]!;
  const trigger = g.transforms.length === 0 ? 0 : chainTrigger(g.transforms);
  const sources = g.sources;
  const at = ps.sourceOffsets[gi]!;
  for (let wi = 0; wi < which.length; wi++) {
    const si = which[wi]!;
    if (ps.scanned[at + si] === 1) continue;
    ps.scanned[at + si] = 1;
    const { name, keys } = sources[si]!;
    // Same order of lookup as resolveTarget: a scalar of that name first, else the collection.
    if (tx.matched.pending && isMatchedName(name)) tx.matched.settle(tx);
    const scalar = tx.scalarMap.get(name);
    if (scalar !== undefined) { scanOne(ps, g, gi, trigger, scalar); continue; }
    const col = tx.rawCollection(name);
    if (keys === undefined) { const es = col.all(); for (let j = 0; j < es.length; j++) scanOne(ps, g, gi, trigger, es[j]!.value); }
    else for (let ki = 0; ki < keys.length; ki++) { const es = col.getLower(keys[ki]!); for (let j = 0; j < es.length; j++) scanOne(ps, g, gi, trigger, es[j]!.value); }
  }
}
