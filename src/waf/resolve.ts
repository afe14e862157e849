/**
 * Resolves a rule's targets against a transaction: collections, selectors,
 * exclusions (rule-level and ctl-level) and `&` counting.
 */
import { compileKeySelector } from './regex/key-selector.js';
import type { Transaction } from './transaction.js';
import type { VariableSpec, Selector } from './rules/variables.js';
import type { Rule } from './types.js';
import { isMatchedName } from './matched.js';

/**
 * One value to inspect. Collection targets are the collection's own entries (no copy, no
 * name built: ADR 0016); `scalar` and `count` mark the other two kinds, which `matchName`
 * (matched.ts) reads to name a matched value (`ARGS:id`) when something asks for it.
 */
export interface Target {
  readonly key: string;
  readonly value: string;
  readonly scalar?: boolean;
  readonly count?: boolean;
}

/**
 * Request data that no rule action can change while a phase runs: its entries can be handed
 * out without a copy. TX, MATCHED_VARS and the like change as rules run (a chain child reading
 * MATCHED_VARS adds to it when it matches), so those are copied.
 */
const UNCHANGING: ReadonlySet<string> = new Set([
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'FILES', 'FILES_NAMES', 'MULTIPART_PART_HEADERS', 'MULTIPART_FILENAME', 'MULTIPART_NAME', 'XML',
]);

/** Whether a selector picks an entry (by its key and lower-cased key). */
export function selects(sel: Selector, key: string, lkey: string): boolean {
  if (sel.kind === 'all') return true;
  if (sel.kind === 'key') return sel.key === lkey;
  return sel.regex.test(key);
}

function excluded(collection: string, key: string, lkey: string, rule: Rule, tx: Transaction, ruleId: number): boolean {
  for (const ex of rule.exclusions) {
    if (ex.collection === collection && selects(ex.selector, key, lkey)) return true;
  }
  // A ctl removal without a key drops whole variables (ctlDropsSpec), never single entries.
  const ctl = tx.removedTargets.get(ruleId);
  if (ctl) {
    for (const t of ctl) if (t.collection === collection && t.key !== undefined && ctlKeyMatches(t.key, key, lkey)) return true;
  }
  if (tx.removedTargetsByTag.length > 0) {
    for (const t of tx.removedTargetsByTag) {
      if (t.collection === collection && t.key !== undefined && rule.tags.includes(t.tag) && ctlKeyMatches(t.key, key, lkey)) return true;
    }
  }
  return false;
}

/** A ctl removal's key (lower-cased name, or `/regex/` as written) against one entry's key. */
function ctlKeyMatches(sel: string, key: string, lkey: string): boolean {
  return sel === lkey || regexKey(sel, key);
}

/**
 * Whether a ctl removal drops this target of the rule as a whole, as ModSecurity v3 drops a
 * variable whose name as written equals the removal's: `REQUEST_FILENAME` drops the single
 * value, `ARGS` drops a rule's whole-ARGS target (and `&ARGS`), `ARGS:pw` drops a rule's
 * `ARGS:pw` target (and `&ARGS:pw`, which would otherwise count 0). A key-less removal leaves a
 * rule's `ARGS:pw` or `ARGS:/re/` targets alone, as v3 does (docs/adr/0031).
 */
function ctlDropsSpec(spec: VariableSpec, rule: Rule, tx: Transaction, ruleId: number): boolean {
  const sel = spec.selector;
  const names = (t: { readonly collection: string; readonly key: string | undefined }): boolean =>
    t.collection === spec.collection && (t.key === undefined ? sel.kind === 'all' : sel.kind === 'key' && t.key === sel.key);
  const ctl = tx.removedTargets.get(ruleId);
  if (ctl !== undefined && ctl.some(names)) return true;
  for (const t of tx.removedTargetsByTag) if (names(t) && rule.tags.includes(t.tag)) return true;
  return false;
}

/**
 * Whether a ctl removal of this transaction drops the target as a whole for the rule (its
 * values are never read).
 *
 * @example droppedByCtl(tx, rule.targets[0], rule) // true after ctl:ruleRemoveTargetById=<id>;ARGS for an ARGS target
 */
export function droppedByCtl(tx: Transaction, spec: VariableSpec, rule: Rule): boolean {
  const byCtl = tx.removedTargets.has(rule.id) || (tx.removedTargetsByTag.length > 0 && removedByTag(tx, rule, spec.collection));
  return byCtl && ctlDropsSpec(spec, rule, tx, rule.id);
}

const exclusionsByRule = new WeakMap<Rule, { readonly count: number; readonly names: ReadonlySet<string> }>();

/**
 * The collections a rule's own exclusions name. CRS's `!REQUEST_COOKIES:/__utm/` only
 * concerns cookies: the rule's ARGS are handed out uncopied and unchecked (ADR 0016, round 2).
 */
function excludedCollections(rule: Rule): ReadonlySet<string> {
  let s = exclusionsByRule.get(rule);
  // SecRuleUpdateTargetById appends to a loaded rule's exclusions: a changed count rebuilds.
  if (s === undefined || s.count !== rule.exclusions.length) {
    s = { count: rule.exclusions.length, names: new Set(rule.exclusions.map((e) => e.collection)) };
    exclusionsByRule.set(rule, s);
  }
  return s.names;
}

function regexKey(sel: string, key: string): boolean {
  if (sel.length < 2 || !sel.startsWith('/') || !sel.endsWith('/')) return false;
  try { return compileKeySelector(sel.slice(1, -1)).test(key); } catch { return false; }
}

/**
 * Whether a ctl removal by tag names this collection for this rule. CRS 941's setup removes
 * REQUEST_FILENAME from every `xss-perf-disable` rule on every request: without this test,
 * every target of every rule took the copying path with a check per entry (ADR 0025).
 *
 * @example removedByTag(tx, rule, 'REQUEST_FILENAME') // true after ctl:ruleRemoveTargetByTag=<a tag of rule>;REQUEST_FILENAME
 */
export function removedByTag(tx: Transaction, rule: Rule, collection: string): boolean {
  for (const t of tx.removedTargetsByTag) if (t.collection === collection && rule.tags.includes(t.tag)) return true;
  return false;
}

const DYNAMIC: Record<string, (tx: Transaction) => string> = {
  DURATION: (tx) => String(Math.round((performance.now() - tx.startedAt) * 1000)),
  TIME_EPOCH: () => String(Math.floor(Date.now() / 1000)),
  TIME: () => new Date().toISOString().slice(11, 19),
};

const NOTHING: readonly Target[] = Object.freeze([]);
/**
 * The one-element answers for a scalar and for a count are these two arrays, refilled by every
 * call: a scalar read allocated an object and an array per rule and request (ADR 0036). The
 * engine reads a target list before it resolves the next one and keeps none of its objects
 * (a match stores the strings: matched.ts).
 */
const scalarTarget: { key: string; value: string; scalar: true } = { key: '', value: '', scalar: true };
const scalarOut: readonly Target[] = [scalarTarget];
const countTarget: { key: string; value: string; count: true } = { key: '', value: '', count: true };
const countOut: readonly Target[] = [countTarget];
/** `&X` counts as strings, without a new string per read. */
export const COUNTS: readonly string[] = Array.from({ length: 64 }, (_, i) => String(i));

/**
 * Valid until the next call (a scalar or count answer is refilled then).
 *
 * @example
 * resolveTarget(tx, { collection: 'ARGS', selector: { kind: 'all' }, count: false, exclude: false }, rule, 942100)
 */
export function resolveTarget(tx: Transaction, spec: VariableSpec, rule: Rule, ruleId: number): readonly Target[] {
  const name = spec.collection;
  let out: readonly Target[];
  // Reading the match bookkeeping writes it first (matched.ts); other names read it as it is.
  if (tx.matched.pending && isMatchedName(name)) tx.matched.settle(tx);
  const dyn = DYNAMIC[name];
  const scalar = dyn ? dyn(tx) : tx.scalarMap.get(name);
  // Most rules exclude nothing from this collection and no ctl removal applies: skip the per-entry check.
  const byCtl = tx.removedTargets.has(ruleId) || (tx.removedTargetsByTag.length > 0 && removedByTag(tx, rule, name));
  // Dropped as a variable: no value, and no count either (v3 never evaluates a removed `&ARGS`).
  if (byCtl && ctlDropsSpec(spec, rule, tx, ruleId)) return NOTHING;
  const mayExclude = byCtl || (rule.exclusions.length > 0 && excludedCollections(rule).has(name));
  if (scalar !== undefined) {
    // A single value has no key: only a rule's own `!NAME` removes it (a ctl removal did above).
    if (mayExclude && rule.exclusions.some((e) => e.collection === name && e.selector.kind === 'all')) out = NOTHING;
    else { scalarTarget.value = scalar; out = scalarOut; }
  } else {
    const col = tx.rawCollection(name);
    const sel = spec.selector;
    // A key selector reads the collection's index instead of testing every entry.
    const entries = sel.kind === 'key' ? col.getLower(sel.key) : col.all();
    // Request data no action changes, a count, or one key's entry list: handed out as is. A
    // key's list is safe to iterate while actions run (setvar replaces or edits it, never
    // appends); whole TX or MATCHED_VARS (a matching chain child appends to it) are copied.
    if (sel.kind !== 'regex' && !mayExclude && (UNCHANGING.has(name) || spec.count || (sel.kind === 'key' && !name.startsWith('MATCHED_VARS')))) out = entries;
    else {
      const kept: Target[] = [];
      for (const e of entries) {
        if (sel.kind === 'regex' && !sel.regex.test(e.key)) continue;
        if (mayExclude && excluded(name, e.key, e.lkey, rule, tx, ruleId)) continue;
        kept.push(e);
      }
      out = kept;
    }
  }
  if (spec.count) { countTarget.value = COUNTS[out.length] ?? String(out.length); return countOut; }
  return out;
}
