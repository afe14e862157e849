import { runSteps, type RuleSet, type Steps } from '../../waf/index.js';
import { publishWafRuleSet } from '../../observability/channels.js';
import { ruleSetSteps, type RuleSetInputs } from './rules.js';
import { warmPhasePlans, warmUpTraffic } from './warm-up.js';

/**
 * Longest stretch of rule-set compilation before the event loop gets a turn, when compiled
 * in slices (a reload: the old configuration serves requests meanwhile; ADR 0026).
 */
const SLICE_MS = 10;

/**
 * Compiles a rule set and reports what of it cannot run as written (RE2 refusals,
 * approximations): the steps of ruleSetSteps, then the phase plans.
 */
function* compileSteps(inputs: RuleSetInputs): Steps<RuleSet> {
  const rs = yield* ruleSetSteps(inputs);
  publishWafRuleSet({ rules: rs.rules.length, reports: rs.regexReports });
  yield* warmPhasePlans(rs);
  yield* warmUpTraffic(rs);
  return rs;
}

function compile(inputs: RuleSetInputs): RuleSet {
  return runSteps(compileSteps(inputs));
}

/**
 * compile, giving the event loop a turn (setImmediate) whenever a slice has run `sliceMs`;
 * `between` replaces that turn (the inspection worker waits there while a request needs it).
 *
 * @example
 * const rs = await compileInSlices(inputs);
 */
export async function compileInSlices(inputs: RuleSetInputs, sliceMs = SLICE_MS, between: () => Promise<unknown> = nextTurn): Promise<RuleSet> {
  const steps = compileSteps(inputs);
  let sliceStart = performance.now();
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await between();
      sliceStart = performance.now();
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
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

/**
 * sharedRuleSet compiled in slices of about SLICE_MS, between which the event loop serves
 * requests: for a config load whose caller waits for it (compileRuntime's `defer`), i.e. a
 * reload while the old configuration keeps serving (ADR 0026). The slices are the directives
 * of the CRS files, the phase plans' automata in bounded steps (ADR 0031) and each phase's
 * first run.
 *
 * @example
 * const rs = await sharedRuleSetInSlices(inputs, deps.compileCache);
 */
export function sharedRuleSetInSlices(inputs: RuleSetInputs, memo: Map<string, unknown> | undefined): Promise<RuleSet> {
  const key = `waf-slices:${JSON.stringify(inputs)}`;
  const hit = memo?.get(key);
  if (hit !== undefined) return hit as Promise<RuleSet>;
  const made = compileInSlices(inputs);
  memo?.set(key, made);
  return made;
}
