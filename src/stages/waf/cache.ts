import { evaluate, Transaction, type RuleSet } from '../../waf/index.js';
import { publishWafRuleSet } from '../../observability/channels.js';
import { loadWafRuleSet, type RuleSetInputs } from './rules.js';

/** Compiles a rule set and reports what of it cannot run as written (RE2 refusals, approximations). */
function compile(inputs: RuleSetInputs): RuleSet {
  const rs = loadWafRuleSet(inputs);
  publishWafRuleSet({ rules: rs.rules.length, reports: rs.regexReports });
  warmPhasePlans(rs);
  return rs;
}

/**
 * Runs one empty request and response through every phase, silently, while the config loads:
 * the engine builds each phase's plan (candidate automata) on first use, about 0.3 s of CPU
 * for CRS, which would otherwise stall the event loop on the first request after a start or
 * a reload (ADR 0017).
 */
function warmPhasePlans(rs: RuleSet): void {
  const tx = new Transaction({ method: 'GET', uri: '/', headers: [['Host', 'localhost']] }, 'warm-up');
  tx.engineMode = 'DetectionOnly';
  evaluate(rs, tx, 1);
  evaluate(rs, tx, 2);
  tx.setResponse({ status: 200, headers: [['Content-Type', 'text/html']], body: new Uint8Array(0) });
  evaluate(rs, tx, 3);
  evaluate(rs, tx, 4);
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
