/**
 * The per-phase evaluation plan of a rule set, compiled once per RuleSet (ADR 0006):
 * which rules can be proven not to match by one literal automaton per transformation
 * chain, and the chain keys the transformation memo uses.
 */
import { LiteralAutomaton } from '../regex/literal-automaton.js';
import type { Rule } from '../types.js';
import type { RuleSet } from './ruleset.js';
import { ValueCache } from './value-cache.js';
import { runSteps, type Steps } from '../steps.js';
import { ledgerOf, readsStableValues, type Ledger } from '../miss-ledger.js';

/**
 * Per phase plan and generation, characters of scanned values kept across requests (ADR 0025),
 * each entry charged its length plus 32; values longer than SCAN_CACHE_MAX_VALUE are scanned
 * on every request. At most ~2 x 4 Ki entries per phase, rule set and thread.
 */
export const SCAN_CACHE_BUDGET = 128 * 1024;
export const SCAN_CACHE_MAX_VALUE = 256;

/**
 * What the group scans learnt of one raw value, by group index: the members one of whose
 * literals its transformed form contains, null for none, undefined while not scanned yet.
 */
export type ValueVerdicts = Array<Uint8Array | null | undefined>;


/** Rules of one phase that share a transformation chain, behind one automaton. */
export interface CandidateGroup {
  /** The chain every member applies (names joined, the memo key). */
  readonly chainKey: string;
  readonly transforms: Rule['transforms'];
  /** Members test every intermediate value (multiMatch): scan them all. */
  readonly multiMatch: boolean;
  /**
   * Every variable a member reads: the keys named when every member names keys of that
   * collection (`REQUEST_HEADERS:User-Agent`), else the whole collection (a superset of any
   * regex selector).
   */
  readonly sources: ReadonlyArray<{ readonly name: string; readonly keys: readonly string[] | undefined }>;
  readonly automaton: LiteralAutomaton;
}

/** One phase's rules (and markers) in order, with each rule's candidate group. */
export interface PhasePlan {
  readonly rules: readonly Rule[];
  /** Per position in `rules`: index into `groups`, or -1 when the rule always runs. */
  readonly groupOf: Int32Array;
  /** Per position: the rule's owner index inside its group's automaton. */
  readonly ownerOf: Int32Array;
  /**
   * Per position: indices into its group's `sources` of the variables the rule reads (empty
   * without a group): a group scans a source when a member that reads it is reached, not all
   * of its sources for the first member (a member reading one header scanned the body).
   */
  readonly sourcesOf: ReadonlyArray<Int32Array>;
  readonly groups: readonly CandidateGroup[];
  /**
   * Raw value → every group's verdict on it, across transactions: a scan is a pure function of
   * the value (pure transformations, a fixed automaton), and it only decides which rules are
   * evaluated, never what they do. One entry per value serves all groups: one lookup per
   * value and phase, not one per value and group.
   */
  readonly verdicts: ValueCache<ValueVerdicts>;
  /**
   * Per position: the TX keys a rule reads when it reads nothing else, as they are (no
   * transformation, no exclusion of its own), else undefined. Such a rule is probed before it
   * is evaluated (ADR 0025): CRS's paranoia-level gates, initialisation checks and score checks
   * are ~110 of the ~160 rules a benign request reaches.
   */
  readonly txProbe: ReadonlyArray<readonly TxRead[] | undefined>;
  /** Which rules' misses are remembered per raw value (ADR 0038). */
  readonly ledger: Ledger;
}

/** One TX target of a probed rule: `TX:key`, or its count `&TX:key`. */
export interface TxRead {
  readonly key: string;
  readonly count: boolean;
}

/** The TX reads of a rule that reads only TX keys, untransformed and with no exclusion of its own. */
function txReads(rule: Rule): TxRead[] | undefined {
  if (rule.kind !== 'SecRule' || rule.unsupported !== undefined || rule.transforms.length > 0 || rule.exclusions.length > 0) return undefined;
  const reads: TxRead[] = [];
  for (const t of rule.targets) {
    if (t.collection !== 'TX' || t.selector.kind !== 'key') return undefined;
    reads.push({ key: t.selector.key, count: t.count });
  }
  return reads.length > 0 ? reads : undefined;
}

const NO_SOURCES = new Int32Array(0);

const chainKeys = new WeakMap<Rule, string>();

/** The memo key of a rule's transformation chain. @example chainKey(rule) // 'lowercase,urlDecodeUni' */
export function chainKey(rule: Rule): string {
  let k = chainKeys.get(rule);
  if (k === undefined) {
    k = rule.transforms.map((t) => t.name).join(',');
    chainKeys.set(rule, k);
  }
  return k;
}

/**
 * Whether a head rule can be skipped when no value it could see contains one of its
 * operator's literals: the operator must declare literals and not be negated (a negated
 * operator matches exactly when its literals are absent), and every target must be stable
 * request data read as values (a `&` count is a number, not request data).
 */
function eligible(rule: Rule): boolean {
  return !rule.negated && rule.operator.literals !== undefined && readsStableValues(rule);
}

/**
 * The plan of one phase in steps: the grouping in one, then each group's automaton in steps of
 * bounded work (CRS's phase 2 has ~40 groups, one of ~700 literals): a reload compiling in
 * slices yields between them (ADR 0031).
 */
function* compilePhase(rules: readonly Rule[]): Steps<PhasePlan> {
  const groupOf = new Int32Array(rules.length).fill(-1);
  const ownerOf = new Int32Array(rules.length).fill(-1);
  // Per collection: the keys members name, or null once a member reads all of it.
  const building = new Map<string, { rule: Rule; literals: Array<[string, number]>; owners: number; sources: Map<string, Set<string> | null> }>();
  const order: string[] = [];
  const reads: Array<readonly string[]> = rules.map(() => []);
  rules.forEach((rule, i) => {
    if (!eligible(rule)) return;
    const key = `${chainKey(rule)}${rule.multiMatch ? '|multiMatch' : ''}`;
    let g = building.get(key);
    if (g === undefined) {
      g = { rule, literals: [], owners: 0, sources: new Map() };
      building.set(key, g);
      order.push(key);
    }
    const owner = g.owners++;
    for (const lit of rule.operator.literals ?? []) g.literals.push([lit, owner]);
    for (const t of rule.targets) {
      const known = g.sources.get(t.collection);
      if (t.selector.kind !== 'key') g.sources.set(t.collection, null);
      else if (known === undefined) g.sources.set(t.collection, new Set([t.selector.key]));
      else known?.add(t.selector.key);
    }
    groupOf[i] = order.indexOf(key);
    ownerOf[i] = owner;
    reads[i] = [...new Set(rule.targets.map((t) => t.collection))];
  });
  const groups: CandidateGroup[] = [];
  for (const key of order) {
    yield;
    const g = building.get(key)!;
    groups.push({
      chainKey: chainKey(g.rule), transforms: g.rule.transforms, multiMatch: g.rule.multiMatch,
      sources: [...g.sources].map(([name, keys]) => ({ name, keys: keys === null ? undefined : [...keys] })), automaton: yield* LiteralAutomaton.steps(g.literals, g.owners),
    });
  }
  const sourcesOf = reads.map((names, i) => {
    const g = groupOf[i]!;
    return g === -1 ? NO_SOURCES : Int32Array.from(names, (n) => groups[g]!.sources.findIndex((s) => s.name === n));
  });
  return { rules, groupOf, ownerOf, sourcesOf, groups, txProbe: rules.map(txReads), ledger: ledgerOf(rules), verdicts: new ValueCache(SCAN_CACHE_BUDGET, SCAN_CACHE_MAX_VALUE) };
}

// Keyed by the phase's rule array: RuleSet.finish() builds new arrays, so a re-finished set gets a new plan.
const plans = new WeakMap<readonly Rule[], PhasePlan>();

/**
 * The plan of one phase, compiled on first use and kept as long as the rule set.
 *
 * @example
 * const plan = phasePlan(ruleSet, 2); plan.groups.length // distinct chains with literal rules
 */
export function phasePlan(rs: RuleSet, phase: number): PhasePlan {
  return runSteps(phasePlanSteps(rs, phase));
}

/**
 * phasePlan in steps, for a compile in slices (ADR 0031); a plan already built is returned at once.
 *
 * @example
 * const steps = phasePlanSteps(ruleSet, 2); let s = steps.next(); while (!s.done) s = steps.next();
 */
export function* phasePlanSteps(rs: RuleSet, phase: number): Steps<PhasePlan> {
  const rules = rs.phase(phase);
  let p = plans.get(rules);
  if (p === undefined) {
    p = yield* compilePhase(rules);
    plans.set(rules, p);
  }
  return p;
}
