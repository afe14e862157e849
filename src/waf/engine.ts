/**
 * Runs a compiled RuleSet over a Transaction, one phase at a time.
 */
import type { RuleSet } from './rules/ruleset.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { applyFold, captureFold, foldablePrefix, pristine, type TxFold } from './fold.js';
import type { Rule } from './types.js';
import { COUNTS, removedByTag, resolveTarget } from './resolve.js';
import { eagerMatched, TargetKind } from './matched.js';
import { chainKey, phasePlan, type PhasePlan, type TxRead, type ValueVerdicts } from './rules/plan.js';
import { memoOf, transformed, type TransformMemo } from './transform-memo.js';
import { phaseScan, scanGroup } from './group-scan.js';
import { ValueCache } from './rules/value-cache.js';
import type { LedgerScan } from './miss-ledger.js';

export { releaseTransformMemo } from './transform-memo.js';

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
    const entries = txc.getLower(r.key);
    if (r.count) { if (op.evaluate(COUNTS[entries.length] ?? String(entries.length), tx, undefined) !== neg) return false; continue; }
    for (let j = 0; j < entries.length; j++) if (op.evaluate(entries[j]!.value, tx, undefined) !== neg) return false;
  }
  return true;
}


function removed(rule: Rule, tx: Transaction): boolean {
  const ids = tx.removedRuleIds;
  for (let i = 0; i < ids.length; i++) { const r = ids[i]!; if (rule.id >= r[0] && rule.id <= r[1]) return true; }
  const tags = tx.removedTags;
  for (let i = 0; i < tags.length; i++) if (rule.tags.includes(tags[i]!)) return true;
  return false;
}

/** Characters per generation of one rule's misses, and the longest value remembered (as operators/miss-cache.ts). */
const RULE_MISS_BUDGET = 4 * 1024;
const RULE_MISS_MAX_VALUE = 256;
const ruleMisses = new WeakMap<Rule, ValueCache<true> | null>();

/**
 * The raw values a rule's link did not match, across requests, or null when its answer is not a
 * function of the value alone. With transformations (pure) and an operator that reads only its
 * input and captures nothing on a miss (`pure` / `inputOnly`), not negated, a raw value that
 * missed misses again, whatever variable it comes from; a miss has no effect, so skipping it is
 * the same as computing it. The operator-level miss cache (ADR 0025) sits after the
 * transformations; this one saves them too: CRS 920270 urlDecodeUni's and scans every header,
 * argument and name on every request (ADR 0036).
 */
function missesOf(rule: Rule): ValueCache<true> | null {
  let c = ruleMisses.get(rule);
  if (c === undefined) {
    const op = rule.operator;
    c = rule.kind === 'SecRule' && !rule.negated && rule.transforms.length > 0 && (op.pure === true || op.inputOnly === true)
      ? new ValueCache<true>(RULE_MISS_BUDGET, RULE_MISS_MAX_VALUE) : null;
    ruleMisses.set(rule, c);
  }
  return c;
}

/**
 * Evaluates one link; records MATCHED_VAR(S); returns whether it matched. `group` is the head's
 * candidate group (-1: none, or a chain child), whose verdicts per value are in `seen`; `bit`
 * the head's bit in the miss ledger (-1: none, or a chain child), which it reads and writes.
 */
function evalLink(rule: Rule, tx: Transaction, head: Rule, memo: TransformMemo, seen: Map<string, ValueVerdicts>, group: number, owner: number, captureInto: (groups: readonly string[]) => void, ledger: LedgerScan, bit: number): boolean {
  const headId = head.id;
  if (rule.kind === 'SecAction') {
    tx.matched.ruleVars(head, tx);
    if (eagerMatched()) tx.matched.settle(tx);
    const acts = rule.actions;
    for (let ai = 0; ai < acts.length; ai++) acts[ai]!.run(tx, head);
    return true;
  }
  let matched = false;
  const capture = rule.capture ? captureInto : undefined;
  const untransformed = rule.transforms.length === 0;
  // Most evaluated links are TX rules without transformations: no memo key to look up.
  const key = untransformed ? '' : chainKey(rule);
  const misses = bit === -1 ? missesOf(rule) : null;
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
        if (vh === null || (vh !== undefined && vh[owner] === 0)) { if (bit !== -1) ledger.miss(target.value, bit); continue; }
      }
      if (bit !== -1) { if (ledger.known(target.value, bit)) continue; }
      else if (misses !== null && misses.get(target.value) === true) continue;
      // Untransformed (every TX rule): the value itself, without the memo's per-value facts.
      let steps: readonly string[];
      if (untransformed) { one[0] = target.value; steps = one; } else steps = transformed(memo, key, rule.transforms, target.value);
      // Without multiMatch only the final value is tested (the last step).
      let hitAny = false;
      for (let k = rule.multiMatch ? 0 : steps.length - 1; k < steps.length; k++) {
        const v = steps[k]!;
        const hit = rule.operator.evaluate(v, tx, capture) !== rule.negated;
        if (!hit) continue;
        hitAny = true;
        matched = true;
        // Written when read (ADR 0036): most matches are TX gates nothing asks about.
        tx.matched.match(spec.collection, target.key, target.count === true ? TargetKind.Count : target.scalar === true ? TargetKind.Scalar : TargetKind.Entry, v);
        // Non-disruptive actions run once per matched value (ModSecurity): CRS keys TX
        // variables by %{MATCHED_VAR_NAME} / %{tx.0} and relies on one set per match.
        if (rule === head) tx.matched.ruleVars(head, tx);
        if (eagerMatched()) tx.matched.settle(tx);
        const acts = rule.actions;
        for (let ai = 0; ai < acts.length; ai++) acts[ai]!.run(tx, head);
        break;
      }
      if (!hitAny) {
        if (bit !== -1) ledger.miss(target.value, bit);
        else if (misses !== null) misses.set(target.value, true);
      }
    }
  }
  return matched;
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
  const bitOf = plan.ledger.bitOf;
  const matchedVars = tx.rawCollection('MATCHED_VARS');
  const matchedVarsNames = tx.rawCollection('MATCHED_VARS_NAMES');
  const book = tx.matched;
  // A rule starts with empty MATCHED_VARS; a rule skipped for a proven miss leaves the same, so a
  // request ends alike whether its values were known yet or not (ADR 0038).
  const startRule = (): void => { matchedVars.clear(); matchedVarsNames.clear(); book.newRule(); };
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
    // Every value it could read is a known miss (ADR 0038): no target to resolve.
    const bit = prune ? bitOf[i]! : -1;
    if (bit !== -1 && ps.ledger.allKnownMisses(i, bit)) {
      startRule();
      if (stats) stats.skipped++;
      continue;
    }
    const g = plan.groupOf[i]!;
    const owner = plan.ownerOf[i]!;
    if (prune && g !== -1) {
      scanGroup(ps, g, plan.sourcesOf[i]!);
      // No value this rule could read contains one of its literals: it cannot match,
      // and a head that does not match runs no action.
      if (ps.any[ps.offsets[g]! + owner] === 0) {
        // Proven for every value it could read: remembered, so the next request skips it before the scan.
        if (bit !== -1) { ps.ledger.missAll(i, bit); startRule(); }
        if (stats) stats.skipped++;
        continue;
      }
    }
    if (stats) stats.evaluated++;
    startRule();
    let link: Rule | undefined = rule;
    let ok = true;
    const t0 = profile ? performance.now() : 0;
    while (link) {
      // Each link's actions run as it matches, before the next link (ModSecurity order):
      // CRS chains set TX in the head and test it in the child.
      const head = link === rule;
      if (!evalLink(link, tx, rule, memo, seen, head && prune ? g : -1, owner, captureInto, ps.ledger, head ? bit : -1)) { ok = false; break; }
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
