import type { RuleSet } from '../../waf/index.js';
import { loadWafRuleSet, type RuleSetInputs } from './rules.js';

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
  if (memo === undefined) return loadWafRuleSet(inputs);
  const key = `waf:${JSON.stringify(inputs)}`;
  const hit = memo.get(key);
  if (hit !== undefined) {
    // A load error is remembered too, so twenty operations with the same broken file report it once each without re-parsing.
    if (hit instanceof Error) throw hit;
    return hit as RuleSet;
  }
  try {
    const rs = loadWafRuleSet(inputs);
    memo.set(key, rs);
    return rs;
  } catch (err) {
    memo.set(key, err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
