import type { RuleSet } from '../../waf/index.js';
import { publishWafRuleSet } from '../../observability/channels.js';
import { loadWafRuleSet, type RuleSetInputs } from './rules.js';

/** Compiles a rule set and reports what of it cannot run as written (RE2 refusals, approximations). */
function compile(inputs: RuleSetInputs): RuleSet {
  const rs = loadWafRuleSet(inputs);
  publishWafRuleSet({ rules: rs.rules.length, reports: rs.regexReports });
  return rs;
}

/**
 * Returns the rule set for `inputs`, compiling it once per config load: every API and
 * operation with the same WAF settings shares one compiled set (CRS takes about a
 * second and several MB to load). `memo` is the per-load map from StageDeps; without
 * one (unit tests) the set is compiled each time.
 *
 * @example
 * const rs = sharedRuleSet(inputs, deps.compileCache);
 */
export function sharedRuleSet(inputs: RuleSetInputs, memo: Map<string, unknown> | undefined): RuleSet {
  if (memo === undefined) return compile(inputs);
  const key = `waf:${JSON.stringify(inputs)}`;
  const hit = memo.get(key);
  if (hit !== undefined) {
    // A load error is remembered too, so twenty operations with the same broken file report it once each without re-parsing.
    if (hit instanceof Error) throw hit;
    return hit as RuleSet;
  }
  try {
    const rs = compile(inputs);
    memo.set(key, rs);
    return rs;
  } catch (err) {
    memo.set(key, err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
