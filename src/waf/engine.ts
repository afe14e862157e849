/**
 * Runs a compiled RuleSet over a Transaction, one phase at a time.
 */
import type { RuleSet } from './rules/ruleset.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { applyFold, captureFold, foldablePrefix, pristine, type TxFold } from './fold.js';
import type { Rule, Transformation } from './types.js';
import { removedByTag, resolveTarget, targetName } from './resolve.js';
import { chainKey, phasePlan, type CandidateGroup, type PhasePlan, type TxRead, type ValueVerdicts } from './rules/plan.js';
import { charMask, triggerMask } from './transformations/triggers.js';

/** A logged rule match. */
export interface WafMatch {
  readonly ruleId: number;
  readonly msg: string;
  readonly tags: readonly string[];
  readonly severity: string | undefined;
  readonly data: string;
  /** The variable that matched, e.g. `ARGS:id`. */
  readonly variable: string;
}

/** Optional instrumentation; `profile` accumulates milliseconds per rule id. */
export interface EvaluateOptions {
  readonly profile?: Map<number, number>;
  /**
   * `false` runs every rule without the candidate automaton (ADR 0006): only for tests
   * that check the pruned and the unpruned engine agree.
   */
  readonly prune?: boolean;
  /**
   * `false` runs phase 1's folded rules (ADR 0030) on the request instead of starting from
   * their folded state: only for tests that check both agree. `prune: false` does not fold either.
   */
  readonly fold?: boolean;
  /** Counts rules skipped by the automaton and rules evaluated, when given. */
  readonly stats?: { skipped: number; evaluated: number };
}

/** A phase's outcome. `interrupted` is set only when the engine is On and a rule denies/drops. */
export interface EvaluateResult {
  readonly interrupted?: { readonly status: number; readonly ruleId: number; readonly action: string };
  readonly matches: WafMatch[];
}

/** What the memo knows of one input value: its character classes, and itself as a one-step result. */
interface ValueFacts {
  readonly mask: number;
  readonly alone: readonly string[];
}

/** Transformation results of one transaction: chain key → input value → every changed step (last is final). */
interface TransformMemo {
  readonly chains: Map<string, Map<string, string[]>>;
  readonly facts: Map<string, ValueFacts>;
}

const memos = new WeakMap<Transaction, TransformMemo>();

function memoOf(tx: Transaction): TransformMemo {
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
function chainTrigger(transforms: Rule['transforms']): number {
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
function transformed(memo: TransformMemo, key: string, transforms: Rule['transforms'], value: string): readonly string[] {
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
}

const layouts = new WeakMap<PhasePlan, GroupLayout>();

function layoutOf(plan: PhasePlan): GroupLayout {
  let l = layouts.get(plan);
  if (l === undefined) {
    const offsets = new Int32Array(plan.groups.length);
    let total = 0;
    let widest = 0;
    plan.groups.forEach((g, i) => { offsets[i] = total; total += g.automaton.owners; widest = Math.max(widest, g.automaton.owners); });
    l = { offsets, total, widest };
    layouts.set(plan, l);
  }
  return l;
}

/**
 * One phase's group scans: which groups were scanned, and per member of each whether any
 * value can match it, in two arrays per phase instead of two per group (ADR 0030).
 */
interface PhaseScan {
  readonly tx: Transaction;
  readonly memo: TransformMemo;
  readonly plan: PhasePlan;
  readonly seen: Map<string, ValueVerdicts>;
  readonly offsets: Int32Array;
  readonly scanned: Uint8Array;
  readonly any: Uint8Array;
  /** All zeros between uses; a value that hits gets a copy of its first `owners` entries. */
  readonly scratch: Uint8Array;
}

function phaseScan(tx: Transaction, memo: TransformMemo, plan: PhasePlan): PhaseScan {
  const l = layoutOf(plan);
  return {
    tx, memo, plan, seen: new Map(), offsets: l.offsets, scanned: new Uint8Array(plan.groups.length),
    any: new Uint8Array(l.total), scratch: new Uint8Array(l.widest),
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
 * Runs group `gi`'s automaton over every value its members could read, transformed by their
 * chain, and records which members saw one of their literals (ADR 0006) in `ps.any`. `ps.seen`
 * holds this phase's values; a short value's verdicts come from, and go to, the plan's
 * cross-request cache (ADR 0025).
 */
function scanGroup(ps: PhaseScan, gi: number): void {
  ps.scanned[gi] = 1;
  const tx = ps.tx;
  const g = ps.plan.groups[gi]!;
  const trigger = g.transforms.length === 0 ? 0 : chainTrigger(g.transforms);
  const sources = g.sources;
  for (let si = 0; si < sources.length; si++) {
    const { name, keys } = sources[si]!;
    // Same order of lookup as resolveTarget: a scalar of that name first, else the collection.
    const scalar = tx.scalars.get(name);
    if (scalar !== undefined) { scanOne(ps, g, gi, trigger, scalar); continue; }
    const col = tx.collection(name);
    if (keys === undefined) { const es = col.all(); for (let j = 0; j < es.length; j++) scanOne(ps, g, gi, trigger, es[j]!.value); }
    else for (let ki = 0; ki < keys.length; ki++) { const es = col.get(keys[ki]!); for (let j = 0; j < es.length; j++) scanOne(ps, g, gi, trigger, es[j]!.value); }
  }
}

/**
 * Whether a rule that reads only TX keys cannot match now: its operator answers no for every
 * value it would see. Operators write to the transaction only through `capture` (none is
 * passed), so the probe has no effect; a rule it cannot rule out is evaluated as usual, and
 * all its bookkeeping comes from that evaluation (ADR 0025).
 */
function cannotMatchTx(rule: Rule, reads: readonly TxRead[], tx: Transaction): boolean {
  // A ctl removal of one of its targets: resolveTarget decides what remains.
  if (tx.removedTargets.has(rule.id) || (tx.removedTargetsByTag.length > 0 && removedByTag(tx, rule, 'TX'))) return false;
  const op = rule.operator;
  const neg = rule.negated;
  const txc = tx.tx;
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    const entries = txc.get(r.key);
    if (r.count) { if (op.evaluate(COUNTS[entries.length] ?? String(entries.length), tx, undefined) !== neg) return false; continue; }
    for (let j = 0; j < entries.length; j++) if (op.evaluate(entries[j]!.value, tx, undefined) !== neg) return false;
  }
  return true;
}

/** `&TX:x` counts as strings, without a new string per probe. */
const COUNTS: readonly string[] = Array.from({ length: 16 }, (_, i) => String(i));

function removed(rule: Rule, tx: Transaction): boolean {
  const ids = tx.removedRuleIds;
  for (let i = 0; i < ids.length; i++) { const r = ids[i]!; if (rule.id >= r[0] && rule.id <= r[1]) return true; }
  const tags = tx.removedTags;
  for (let i = 0; i < tags.length; i++) if (rule.tags.includes(tags[i]!)) return true;
  return false;
}

/**
 * Evaluates one link; records MATCHED_VAR(S); returns whether it matched. `group` is the head's
 * candidate group (-1: none, or a chain child), whose verdicts per value are in `seen`.
 */
function evalLink(rule: Rule, tx: Transaction, head: Rule, memo: TransformMemo, seen: Map<string, ValueVerdicts>, group: number, owner: number, captureInto: (groups: readonly string[]) => void): boolean {
  const headId = head.id;
  if (rule.kind === 'SecAction') {
    setRuleVars(tx, head);
    const acts = rule.actions;
    for (let ai = 0; ai < acts.length; ai++) acts[ai]!.run(tx, head);
    return true;
  }
  let matched = false;
  const key = chainKey(rule);
  const capture = rule.capture ? captureInto : undefined;
  const untransformed = rule.transforms.length === 0;
  const one: string[] = [''];
  const specs = rule.targets;
  for (let si = 0; si < specs.length; si++) {
    const spec = specs[si]!;
    const targets = resolveTarget(tx, spec, rule, headId);
    for (let ti = 0; ti < targets.length; ti++) {
      const target = targets[ti]!;
      if (group !== -1) {
        // A scanned value with none of this rule's literals cannot match it (the operator is not negated).
        const vh = seen.get(target.value)?.[group];
        if (vh === null || (vh !== undefined && vh[owner] === 0)) continue;
      }
      // Untransformed (every TX rule): the value itself, without the memo's per-value facts.
      let steps: readonly string[];
      if (untransformed) { one[0] = target.value; steps = one; } else steps = transformed(memo, key, rule.transforms, target.value);
      // Without multiMatch only the final value is tested (the last step).
      for (let k = rule.multiMatch ? 0 : steps.length - 1; k < steps.length; k++) {
        const v = steps[k]!;
        const hit = rule.operator.evaluate(v, tx, capture) !== rule.negated;
        if (!hit) continue;
        matched = true;
        const name = targetName(spec.collection, target);
        tx.scalars.set('MATCHED_VAR', v);
        tx.scalars.set('MATCHED_VAR_NAME', name);
        tx.collection('MATCHED_VARS').add(name, v);
        tx.collection('MATCHED_VARS_NAMES').add(name, name);
        // Non-disruptive actions run once per matched value (ModSecurity): CRS keys TX
        // variables by %{MATCHED_VAR_NAME} / %{tx.0} and relies on one set per match.
        if (rule === head) setRuleVars(tx, head);
        const acts = rule.actions;
        for (let ai = 0; ai < acts.length; ai++) acts[ai]!.run(tx, head);
        break;
      }
    }
  }
  return matched;
}

function setRuleVars(tx: Transaction, rule: Rule): void {
  const r = tx.collection('RULE');
  r.set('id', String(rule.id));
  r.set('msg', rule.msg?.expand(tx) ?? '');
  r.set('severity', rule.severity ?? '');
  r.set('logdata', '');
}

/**
 * Evaluates every rule of `phase`. Phase 2 first parses the request body.
 *
 * @example
 * const res = evaluate(ruleSet, new Transaction({ method: 'GET', uri: '/?q=<script>', headers: [] }), 2);
 * res.interrupted?.status // 403 when a deny rule matched
 */
export function evaluate(rs: RuleSet, tx: Transaction, phase: number, options: EvaluateOptions = {}): EvaluateResult {
  if (!tx.initialised) {
    tx.initialised = true;
    tx.requestBodyAccess = rs.settings.requestBodyAccess;
    tx.requestBodyLimit = rs.settings.requestBodyLimit;
  }
  const mode = (): string => tx.engineMode ?? rs.settings.ruleEngine;
  if (mode() === 'Off' || tx.allowed || tx.interrupted) return { matches: [] };
  if (phase === 2) {
    const size = tx.input.body?.byteLength ?? 0;
    if (tx.requestBodyAccess && size > tx.requestBodyLimit && rs.settings.requestBodyLimitAction === 'Reject' && mode() === 'On') {
      // Inspecting only a prefix would let a payload hide after the limit: refuse the body (413).
      const interrupted = { status: 413, ruleId: 0, action: 'deny' };
      tx.interrupted = interrupted;
      return { interrupted, matches: [] };
    }
    tx.processRequestBody();
  }
  const plan = phasePlan(rs, phase);
  const prune = options.prune !== false;
  let from = 0;
  if (phase === 1 && prune && options.fold !== false) {
    const fold = foldOf(rs, plan);
    // The folded rules ran once for the rule set: this request starts from what they left (ADR 0030).
    if (fold !== undefined && pristine(tx)) { applyFold(tx, fold); from = fold.resume; }
  }
  return runRules(rs, tx, phase, plan, options, from, plan.rules.length, false).result;
}

/** What a run of rules `from`..`to` gave, and for a dry run where folding has to stop. */
interface RunOutcome {
  readonly result: EvaluateResult;
  /** Dry run: the first rule that matched and logs or has a disruptive action (-1: none). */
  readonly unfoldable: number;
  /** Dry run: the last position up to `to` reached with no skip pending. */
  readonly lastClean: number;
}

const folds = new WeakMap<PhasePlan, TxFold | null>();

/**
 * The phase-1 fold of a rule set (ADR 0030), computed on first use: the longest prefix of
 * foldable rules (fold.ts) that, run on a blank transaction, logs nothing, interrupts and
 * allows nothing and leaves no skip pending.
 */
function foldOf(rs: RuleSet, plan: PhasePlan): TxFold | undefined {
  let f = folds.get(plan);
  if (f === undefined) {
    f = null;
    let end = foldablePrefix(plan.rules);
    while (end > 0) {
      const blank = new Transaction(FOLD_INPUT, 'fold');
      const tx = new Transaction(FOLD_INPUT, 'fold');
      for (const t of [blank, tx]) { t.initialised = true; t.requestBodyAccess = rs.settings.requestBodyAccess; t.requestBodyLimit = rs.settings.requestBodyLimit; }
      const run = runRules(rs, tx, 1, plan, {}, 0, end, true);
      const stop = run.unfoldable !== -1 ? run.unfoldable : run.lastClean;
      if (stop < end) { end = stop; continue; }
      f = captureFold(blank, tx, end) ?? null;
      break;
    }
    folds.set(plan, f);
  }
  return f ?? undefined;
}

const FOLD_INPUT: TransactionInput = { method: 'GET', uri: '/', headers: [] };

/** Runs rules `from`..`to` of a phase plan; `dry` (the fold's run) stops at the first match that logs or disrupts. */
function runRules(rs: RuleSet, tx: Transaction, phase: number, plan: PhasePlan, options: EvaluateOptions, from: number, to: number, dry: boolean): RunOutcome {
  const profile = options.profile;
  const matches: WafMatch[] = [];
  const mode = (): string => tx.engineMode ?? rs.settings.ruleEngine;
  const rules = plan.rules;
  const prune = options.prune !== false;
  const stats = options.stats;
  const memo = memoOf(tx);
  // One automaton pass per group, the first time one of its rules is reached in this phase.
  const ps = phaseScan(tx, memo, plan);
  const seen = ps.seen;
  const matchedVars = tx.collection('MATCHED_VARS');
  const matchedVarsNames = tx.collection('MATCHED_VARS_NAMES');
  // One capture callback per phase, not one per rule evaluated: groups 0-9 go to TX.0-9.
  const captureInto = (groups: readonly string[]): void => { groups.forEach((g, i) => tx.tx.set(String(i), g)); };
  let skipAfter: string | undefined;
  let skip = 0;
  let lastClean = from;
  for (let i = from; i < to; i++) {
    if (dry && skipAfter === undefined && skip === 0) lastClean = i;
    const rule = rules[i]!;
    if (rule.kind === 'SecMarker') {
      if (skipAfter !== undefined && rule.marker === skipAfter) skipAfter = undefined;
      continue;
    }
    if (skipAfter !== undefined) continue;
    if (skip > 0) { skip--; continue; }
    if (rule.unsupported !== undefined || removed(rule, tx)) continue;
    const reads = plan.txProbe[i];
    if (reads !== undefined && prune && cannotMatchTx(rule, reads, tx)) { if (stats) stats.skipped++; continue; }
    const g = plan.groupOf[i]!;
    const owner = plan.ownerOf[i]!;
    if (prune && g !== -1) {
      if (ps.scanned[g] === 0) scanGroup(ps, g);
      // No value this rule could read contains one of its literals: it cannot match,
      // and a head that does not match runs no action.
      if (ps.any[ps.offsets[g]! + owner] === 0) { if (stats) stats.skipped++; continue; }
    }
    if (stats) stats.evaluated++;
    matchedVars.clear();
    matchedVarsNames.clear();
    let link: Rule | undefined = rule;
    let ok = true;
    const t0 = profile ? performance.now() : 0;
    while (link) {
      // Each link's actions run as it matches, before the next link (ModSecurity order):
      // CRS chains set TX in the head and test it in the child.
      if (!evalLink(link, tx, rule, memo, seen, link === rule && prune ? g : -1, owner, captureInto)) { ok = false; break; }
      link = link.chain;
    }
    if (profile) profile.set(rule.id, (profile.get(rule.id) ?? 0) + performance.now() - t0);
    if (!ok) continue;
    let action = rule.disruptive;
    if (action === 'block') action = rs.defaultDisruptive.get(phase) ?? 'pass';
    // Its outcome depends on the mode and it is reported per request: not folded.
    if (dry && (rule.log !== false || (action !== undefined && action !== 'pass'))) return { result: { matches }, unfoldable: i, lastClean };
    if (rule.log !== false) {
      matches.push({
        ruleId: rule.id,
        msg: rule.msg?.expand(tx) ?? '',
        tags: rule.tags,
        severity: rule.severity,
        data: rule.logdata?.expand(tx) ?? '',
        variable: tx.scalars.get('MATCHED_VAR_NAME') ?? '',
      });
    }
    if (rule.skipAfter !== undefined) skipAfter = rule.skipAfter;
    if (rule.skip > 0) skip = rule.skip;
    if (action === 'allow') { tx.allowed = true; break; }
    if ((action === 'deny' || action === 'drop' || action === 'redirect') && mode() === 'On') {
      const interrupted = { status: rule.status ?? (action === 'redirect' ? 302 : 403), ruleId: rule.id, action };
      tx.interrupted = interrupted;
      return { result: { interrupted, matches }, unfoldable: -1, lastClean };
    }
  }
  if (dry && skipAfter === undefined && skip === 0) lastClean = to;
  return { result: { matches }, unfoldable: -1, lastClean };
}
