/**
 * The rule-set fold (ADR 0030): the leading phase-1 rules that read only TX and write only TX
 * and ctl state (CRS's crs-setup SecActions and 901 initialisation: dozens of `setvar`s and
 * `&TX:x @eq 0` defaults) end every request in the same state, so the engine runs them once per
 * rule set, on a blank transaction, and starts each request from a copy of what they left.
 */
import { compileMacro, type Macro } from './macro.js';
import type { Collection } from './collection.js';
import type { Transaction } from './transaction.js';
import type { Rule } from './types.js';

/**
 * Operators whose answer depends on the input and their argument alone (no outside lookup, no
 * file, no clock); libinjection and the validators would be too, but nothing CRS folds uses them.
 */
const FOLDABLE_OPERATORS: ReadonlySet<string> = new Set([
  'eq', 'ge', 'gt', 'le', 'lt', 'streq', 'within', 'contains', 'beginsWith', 'endsWith', 'rx', 'pm',
  'unconditionalMatch', 'noMatch',
]);

/** What the folded rules write: TX, the last match's bookkeeping and the rule being run. */
const FOLDED_COLLECTIONS = ['TX', 'MATCHED_VARS', 'MATCHED_VARS_NAMES', 'RULE'] as const;

function readsOnlyTx(m: Macro | undefined): boolean {
  if (m === undefined) return true;
  for (const c of m.collections) if (c !== 'TX') return false;
  return true;
}

/** Whether one link's outcome and effects depend on TX and the rule set alone. */
function linkFoldable(rule: Rule): boolean {
  if (rule.kind === 'SecMarker') return true;
  if (rule.kind === 'SecRule') {
    if (rule.targets.some((t) => t.collection !== 'TX') || rule.exclusions.some((t) => t.collection !== 'TX')) return false;
    if (!FOLDABLE_OPERATORS.has(rule.operatorName) || !readsOnlyTx(compileMacro(rule.operatorArgument))) return false;
  }
  return rule.actions.every((a) => a.requestIndependent === true) && readsOnlyTx(rule.msg) && readsOnlyTx(rule.logdata);
}

/**
 * How many leading rules of a phase could be folded by what they read and do. The engine's
 * dry run then keeps the longest part of it that logs nothing, interrupts nothing and leaves
 * no skip pending.
 *
 * @example foldablePrefix(phasePlan(rs, 1).rules) // 28 with CRS v4's setup and 901 file
 */
export function foldablePrefix(rules: readonly Rule[]): number {
  let n = 0;
  for (; n < rules.length; n++) {
    for (let l: Rule | undefined = rules[n]; l !== undefined; l = l.chain) if (!linkFoldable(l)) return n;
  }
  return n;
}

/** The state the folded rules leave: where the engine resumes, and what to copy into a request. */
export interface TxFold {
  /** Index in the phase's rules of the first rule not folded. */
  readonly resume: number;
  readonly collections: ReadonlyArray<readonly [string, Collection]>;
  /** Scalars the folded rules set (MATCHED_VAR, MATCHED_VAR_NAME). */
  readonly scalars: ReadonlyArray<readonly [string, string]>;
  readonly engineMode: Transaction['engineMode'];
  readonly removedRuleIds: ReadonlyArray<readonly [number, number]>;
  readonly removedTags: readonly string[];
  readonly removedTargets: ReadonlyArray<readonly [number, ReadonlyArray<{ readonly collection: string; readonly key: string | undefined }>]>;
  readonly removedTargetsByTag: ReadonlyArray<{ readonly tag: string; readonly collection: string; readonly key: string | undefined }>;
}

/**
 * Whether `tx` is where every request starts before phase 1: nothing in TX, no match, no ctl
 * change. A transaction that ran phase 1 before, or that a caller filled, is evaluated in full.
 */
export function pristine(tx: Transaction): boolean {
  return tx.tx.size === 0 && tx.collection('MATCHED_VARS').size === 0 && tx.collection('RULE').size === 0 && !tx.scalars.has('MATCHED_VAR')
    && tx.removedRuleIds.length === 0 && tx.removedTags.length === 0 && tx.removedTargets.size === 0 && tx.removedTargetsByTag.length === 0;
}

/**
 * What the dry run changed in `after` compared with `blank` (a transaction built from the same
 * input that ran nothing), or undefined when it touched anything the fold does not carry.
 */
export function captureFold(blank: Transaction, after: Transaction, resume: number): TxFold | undefined {
  const carried = new Set<string>(FOLDED_COLLECTIONS);
  for (const name of after.collectionNames()) {
    if (!carried.has(name) && after.collection(name).size !== blank.collection(name).size) return undefined;
  }
  const scalars: Array<readonly [string, string]> = [];
  for (const [k, v] of after.scalars) if (blank.scalars.get(k) !== v) scalars.push([k, v]);
  if (after.bodyProcessor !== blank.bodyProcessor || after.requestBodyAccess !== blank.requestBodyAccess
    || after.requestBodyLimit !== blank.requestBodyLimit || after.forceRequestBodyVariable !== blank.forceRequestBodyVariable) return undefined;
  return {
    resume,
    collections: FOLDED_COLLECTIONS.map((n) => [n, after.collection(n)] as const),
    scalars,
    engineMode: after.engineMode,
    removedRuleIds: after.removedRuleIds.map(([a, b]) => [a, b] as const),
    removedTags: [...after.removedTags],
    removedTargets: [...after.removedTargets].map(([id, list]) => [id, list.map((t) => ({ ...t }))] as const),
    removedTargetsByTag: after.removedTargetsByTag.map((t) => ({ ...t })),
  };
}

/**
 * Puts the folded state into a pristine transaction, as if its folded rules had just run.
 *
 * @example if (fold && pristine(tx)) { applyFold(tx, fold); from = fold.resume; }
 */
export function applyFold(tx: Transaction, fold: TxFold): void {
  for (const [name, from] of fold.collections) tx.collection(name).addCopies(from);
  for (const [k, v] of fold.scalars) tx.scalars.set(k, v);
  if (fold.engineMode !== undefined) tx.engineMode = fold.engineMode;
  for (const [a, b] of fold.removedRuleIds) tx.removedRuleIds.push([a, b]);
  for (const t of fold.removedTags) tx.removedTags.push(t);
  for (const [id, list] of fold.removedTargets) tx.removedTargets.set(id, list.map((t) => ({ ...t })));
  for (const t of fold.removedTargetsByTag) tx.removedTargetsByTag.push({ ...t });
}
