/**
 * Transformation results of one transaction, memoised by (chain, value), and the chains a
 * value cannot trigger (ADR 0016): shared by the group scans and rule evaluation.
 */
import type { Transaction } from './transaction.js';
import type { Rule, Transformation } from './types.js';
import { charMask, triggerMask } from './transformations/triggers.js';

/** What the memo knows of one input value: its character classes, and itself as a one-step result. */
interface ValueFacts {
  readonly mask: number;
  readonly alone: readonly string[];
}

/** Transformation results of one transaction: chain key → input value → every changed step (last is final). */
export interface TransformMemo {
  readonly chains: Map<string, Map<string, string[]>>;
  readonly facts: Map<string, ValueFacts>;
}

const memos = new WeakMap<Transaction, TransformMemo>();

export function memoOf(tx: Transaction): TransformMemo {
  let m = memos.get(tx);
  if (m === undefined) { m = { chains: new Map(), facts: new Map() }; memos.set(tx, m); }
  return m;
}

/**
 * Drops the transformation results of `tx` (they are rebuilt on demand if a later phase needs
 * one). The gateway keeps a request's transaction for its response phases, across the upstream
 * call: without this its memo (~60 KB for a browser GET under CRS) survives every young-generation
 * collection meanwhile, which is what those collections cost (ADR 0026).
 *
 * @example
 * evaluate(rules, tx, 2); releaseTransformMemo(tx);
 */
export function releaseTransformMemo(tx: Transaction): void {
  memos.delete(tx);
}

const chainTriggers = new WeakMap<Rule['transforms'], number>();

/** The character classes that can make some step of the chain change its input (ADR 0016). */
export function chainTrigger(transforms: Rule['transforms']): number {
  let t = chainTriggers.get(transforms);
  if (t === undefined) {
    t = 0;
    for (const x of transforms) t |= triggerMask(x.fn);
    chainTriggers.set(transforms, t);
  }
  return t;
}

function memoFor(memo: TransformMemo, key: string): Map<string, string[]> {
  let byValue = memo.chains.get(key);
  if (!byValue) { byValue = new Map(); memo.chains.set(key, byValue); }
  return byValue;
}

/** Per step of a chain: what can make it change its input, and the memo key of the chain from there on. */
interface ChainShape {
  readonly masks: readonly number[];
  readonly suffixKeys: readonly string[];
}

const chainShapes = new WeakMap<Rule['transforms'], ChainShape>();

function chainShape(transforms: Rule['transforms']): ChainShape {
  let s = chainShapes.get(transforms);
  if (s === undefined) {
    const names = transforms.map((t) => t.name);
    s = {
      masks: transforms.map((t) => triggerMask(t.fn)),
      // Same spelling as plan.ts's chainKey, so a suffix equal to another chain shares its memo.
      suffixKeys: names.map((_, i) => names.slice(i).join(',')),
    };
    chainShapes.set(transforms, s);
  }
  return s;
}

/**
 * Every intermediate value that changed (multiMatch needs them all); the last is final.
 * A value none of whose characters can make a step change it is its own result, without
 * running the chain (ADR 0016); otherwise results are memoised per transaction by (chain,
 * value): CRS applies a handful of chains to the same values hundreds of times.
 * Transformations are pure, so a hit is exact.
 */
export function transformed(memo: TransformMemo, key: string, transforms: Rule['transforms'], value: string): readonly string[] {
  let facts = memo.facts.get(value);
  if (facts === undefined) {
    facts = { mask: charMask(value), alone: [value] };
    memo.facts.set(value, facts);
  }
  if (transforms.length === 0 || (facts.mask & chainTrigger(transforms)) === 0) return facts.alone;
  const byValue = memoFor(memo, key);
  const hit = byValue.get(value);
  if (hit) return hit;
  // Leading steps this value cannot trigger leave it as it is: the result is the chain's
  // suffix from the first step it can trigger, which CRS's chains often share
  // (`lowercase`, `urlDecodeUni,lowercase`, `htmlEntityDecode,lowercase` on a value with
  // capitals only): one run serves them all (ADR 0016, round 2).
  const shape = chainShape(transforms);
  let from = 0;
  while ((shape.masks[from]! & facts.mask) === 0) from++;
  const suffix = from === 0 ? undefined : memoFor(memo, shape.suffixKeys[from]!);
  const shared = suffix?.get(value);
  if (shared) { byValue.set(value, shared); return shared; }
  const steps = [value];
  let cur = value;
  for (let i = from; i < transforms.length; i++) {
    const r = (transforms[i] as { fn: Transformation }).fn(cur);
    if (r.changed) steps.push(r.value);
    cur = r.value;
  }
  if (steps[steps.length - 1] !== cur) steps.push(cur);
  byValue.set(value, steps);
  suffix?.set(value, steps);
  return steps;
}
