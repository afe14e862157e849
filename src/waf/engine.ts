/**
 * Runs a compiled RuleSet over a Transaction, one phase at a time.
 */
import type { RuleSet } from './rules/ruleset.js';
import type { Transaction } from './transaction.js';
import type { Rule, Transformation } from './types.js';
import { resolveTarget } from './resolve.js';

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
}

/** A phase's outcome. `interrupted` is set only when the engine is On and a rule denies/drops. */
export interface EvaluateResult {
  readonly interrupted?: { readonly status: number; readonly ruleId: number; readonly action: string };
  readonly matches: WafMatch[];
}

const transformCache = new WeakMap<Transaction, Map<string, Map<string, string[]>>>();

function transformed(tx: Transaction, rule: Rule, value: string): string[] {
  // Returns every intermediate value that changed (multiMatch needs them all); last is final.
  if (rule.transforms.length === 0) return [value];
  const key = rule.transforms.map((t) => t.name).join(',');
  let byChain = transformCache.get(tx);
  if (!byChain) { byChain = new Map(); transformCache.set(tx, byChain); }
  let byValue = byChain.get(key);
  if (!byValue) { byValue = new Map(); byChain.set(key, byValue); }
  const hit = byValue.get(value);
  if (hit) return hit;
  const steps = [value];
  let cur = value;
  for (const t of rule.transforms as Array<{ fn: Transformation }>) {
    const r = t.fn(cur);
    if (r.changed) steps.push(r.value);
    cur = r.value;
  }
  if (steps[steps.length - 1] !== cur) steps.push(cur);
  byValue.set(value, steps);
  return steps;
}

function removed(rule: Rule, tx: Transaction): boolean {
  for (const [a, b] of tx.removedRuleIds) if (rule.id >= a && rule.id <= b) return true;
  for (const t of tx.removedTags) if (rule.tags.includes(t)) return true;
  return false;
}

/** Evaluates one link; records MATCHED_VAR(S); returns whether it matched. */
function evalLink(rule: Rule, tx: Transaction, head: Rule): boolean {
  const headId = head.id;
  if (rule.kind === 'SecAction') {
    setRuleVars(tx, head);
    for (const a of rule.actions) a.run(tx, head);
    return true;
  }
  let matched = false;
  const capture = rule.capture
    ? (groups: readonly string[]): void => { groups.forEach((g, i) => tx.tx.set(String(i), g)); }
    : undefined;
  for (const spec of rule.targets) {
    for (const target of resolveTarget(tx, spec, rule, headId)) {
      const steps = transformed(tx, rule, target.value);
      const candidates = rule.multiMatch ? steps : [steps[steps.length - 1] as string];
      for (const v of candidates) {
        const hit = rule.operator.evaluate(v, tx, capture) !== rule.negated;
        if (!hit) continue;
        matched = true;
        tx.scalars.set('MATCHED_VAR', v);
        tx.scalars.set('MATCHED_VAR_NAME', target.name);
        tx.collection('MATCHED_VARS').add(target.name, v);
        tx.collection('MATCHED_VARS_NAMES').add(target.name, target.name);
        // Non-disruptive actions run once per matched value (ModSecurity): CRS keys TX
        // variables by %{MATCHED_VAR_NAME} / %{tx.0} and relies on one set per match.
        if (rule === head) setRuleVars(tx, head);
        for (const a of rule.actions) a.run(tx, head);
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
  const profile = options.profile;
  const matches: WafMatch[] = [];
  if (!tx.initialised) {
    tx.initialised = true;
    tx.requestBodyAccess = rs.settings.requestBodyAccess;
    tx.requestBodyLimit = rs.settings.requestBodyLimit;
  }
  const mode = (): string => tx.engineMode ?? rs.settings.ruleEngine;
  if (mode() === 'Off' || tx.allowed || tx.interrupted) return { matches };
  if (phase === 2) {
    const size = tx.input.body?.byteLength ?? 0;
    if (tx.requestBodyAccess && size > tx.requestBodyLimit && rs.settings.requestBodyLimitAction === 'Reject' && mode() === 'On') {
      // Inspecting only a prefix would let a payload hide after the limit: refuse the body (413).
      const interrupted = { status: 413, ruleId: 0, action: 'deny' };
      tx.interrupted = interrupted;
      return { interrupted, matches };
    }
    tx.processRequestBody();
  }
  const rules = rs.phase(phase);
  let skipAfter: string | undefined;
  let skip = 0;
  for (const rule of rules) {
    if (rule.kind === 'SecMarker') {
      if (skipAfter !== undefined && rule.marker === skipAfter) skipAfter = undefined;
      continue;
    }
    if (skipAfter !== undefined) continue;
    if (skip > 0) { skip--; continue; }
    if (rule.unsupported !== undefined || removed(rule, tx)) continue;
    tx.collection('MATCHED_VARS').clear();
    tx.collection('MATCHED_VARS_NAMES').clear();
    let link: Rule | undefined = rule;
    let ok = true;
    const t0 = profile ? performance.now() : 0;
    while (link) {
      // Each link's actions run as it matches, before the next link (ModSecurity order):
      // CRS chains set TX in the head and test it in the child.
      if (!evalLink(link, tx, rule)) { ok = false; break; }
      link = link.chain;
    }
    if (profile) profile.set(rule.id, (profile.get(rule.id) ?? 0) + performance.now() - t0);
    if (!ok) continue;
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
    let action = rule.disruptive;
    if (action === 'block') action = rs.defaultDisruptive.get(phase) ?? 'pass';
    if (action === 'allow') { tx.allowed = true; break; }
    if ((action === 'deny' || action === 'drop' || action === 'redirect') && mode() === 'On') {
      const interrupted = { status: rule.status ?? (action === 'redirect' ? 302 : 403), ruleId: rule.id, action };
      tx.interrupted = interrupted;
      return { interrupted, matches };
    }
  }
  return { matches };
}
