/**
 * The response phases of a rule set as they can run on a response without a body.
 */
import type { RuleSet } from './rules/ruleset.js';
import type { Rule } from './types.js';

/**
 * What Transaction.setResponse fills only from a body: without one, a rule reading nothing
 * else finds no value, and a rule with no value to test neither matches nor acts (a negated
 * operator needs a value too; a `&` count is a value, so counts stay).
 */
const BODY_ONLY: ReadonlySet<string> = new Set(['RESPONSE_BODY', 'RESPONSE_CONTENT_LENGTH']);

const RESPONSE_PHASES = [3, 4] as const;

const views = new WeakMap<RuleSet, RuleSet>();

/**
 * The rule set to run phases 3 and 4 with when the response has no body the rules may see
 * (not buffered, a media type they do not inspect, or none): the same set without the rules
 * that read only the body. CRS's data-leakage rules are most of phase 4 (~60 of ~75 rules
 * a benign request reaches there), and each cost a dispatch for nothing. Built once per set.
 *
 * A removed rule could not have matched, and a rule that does not match has no effect but
 * one the engine undoes before the next rule it evaluates (MATCHED_VARS cleared), so the
 * matches, the interruption and TX are the same: test/conformance/waf/response-view-soundness.test.ts.
 * A phase with a `skip:N` keeps all its rules (removing one would change what N counts),
 * and so does a set whose actions can write a body-only variable (`setvar:response_body.x`).
 *
 * @example
 * const rs = response.body === undefined ? withoutBodyRules(rules) : rules;
 * for (const p of [3, 4]) evaluate(rs, tx, p);
 */
export function withoutBodyRules(rs: RuleSet): RuleSet {
  let v = views.get(rs);
  if (v === undefined) {
    const phases = writesBodyOnly(rs) ? [] : RESPONSE_PHASES.filter((p) => !rs.phase(p).some((r) => r.skip > 0));
    v = phases.length === 0 ? rs : rs.without(phases, readsOnlyBody);
    views.set(rs, v);
  }
  return v;
}

/** A rule whose every target is a body-only variable, read as values. */
function readsOnlyBody(rule: Rule): boolean {
  return rule.kind === 'SecRule' && rule.targets.length > 0 && rule.targets.every((t) => !t.count && BODY_ONLY.has(t.collection));
}

/** Whether some action of some rule (chain links included) writes a collection named like a body-only variable. */
function writesBodyOnly(rs: RuleSet): boolean {
  for (const head of rs.rules) {
    for (let r: Rule | undefined = head; r !== undefined; r = r.chain) {
      if (r.actions.some((a) => a.writes !== undefined && BODY_ONLY.has(a.writes))) return true;
    }
  }
  return false;
}
