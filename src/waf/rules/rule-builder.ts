/**
 * Builds one compiled Rule from SecRule/SecAction arguments.
 */
import type { Rule } from '../types.js';
import type { RawAction } from './actions-parse.js';
import { parseActionList } from './actions-parse.js';
import { parseVariables } from './variables.js';
import { WafLoadError } from './errors.js';
import { operators } from '../operators/builtins.js';
import { rememberMisses } from '../operators/miss-cache.js';
import { transformations } from '../transformations/builtins.js';
import { actions } from '../actions/builtins.js';
import { unconditionalMatch } from '../operators/constant.js';
import { UnsupportedPatternError } from '../regex/translate.js';
import { runSteps, type Steps } from '../steps.js';

/** Creates an empty rule shell at a source position. @example blankRule('SecAction', 'a.conf', 1) */
export function blankRule(kind: Rule['kind'], file: string, line: number): Rule {
  return {
    id: 0, phase: 2, file, line, targets: [], exclusions: [], operator: unconditionalMatch(),
    operatorName: 'unconditionalMatch', operatorArgument: '', negated: false, transforms: [], actions: [],
    disruptive: undefined, status: undefined, msg: undefined, logdata: undefined, tags: [], severity: undefined,
    ver: undefined, rev: undefined, maturity: undefined, accuracy: undefined, capture: false, multiMatch: false,
    log: undefined, auditlog: undefined, hasChainAction: false, chain: undefined, skip: 0, skipAfter: undefined,
    marker: undefined, unsupported: undefined, kind,
  };
}

/** Finds the phase an action list asks for (2 when absent) before defaults are applied. */
export function phaseOf(list: readonly RawAction[]): number {
  const p = list.find((a) => a.name === 'phase')?.value?.toLowerCase();
  if (p === undefined) return 2;
  return p === 'request' ? 2 : p === 'response' ? 4 : p === 'logging' ? 5 : Number(p);
}

/**
 * Applies an action list to a rule (t: via the transformation registry, the rest via the action registry).
 *
 * @example
 * applyActions(rule, parseActionList('id:1,t:lowercase,pass'), 'a.conf', 1)
 */
export function applyActions(rule: Rule, list: readonly RawAction[], file: string, line: number): void {
  for (const a of list) {
    if (a.name === 't') {
      const name = a.value ?? '';
      if (name.toLowerCase() === 'none') { rule.transforms = []; continue; }
      let fn;
      try { fn = transformations.get(name); } catch (e) { throw new WafLoadError((e as Error).message, file, line); }
      rule.transforms.push({ name, fn });
      continue;
    }
    let def;
    try { def = actions.get(a.name); } catch (e) { throw new WafLoadError((e as Error).message, file, line); }
    const bound = def.init(rule, a.value, { file, line });
    if (bound) rule.actions.push(bound);
  }
}

/**
 * Compiles `SecRule VARIABLES OPERATOR [ACTIONS]`.
 *
 * @example
 * buildSecRule(['ARGS', '@rx foo', 'id:1,deny'], 'a.conf', 1, [])
 */
export function buildSecRule(args: readonly string[], file: string, line: number, defaults: readonly RawAction[] | ((phase: number) => readonly RawAction[])): Rule {
  return runSteps(buildSecRuleSteps(args, file, line, defaults));
}

/**
 * buildSecRule with the operator's steps (a long @rx pattern's pieces, ADR 0039) as yields.
 *
 * @example
 * const rule = runSteps(buildSecRuleSteps(['ARGS', '@rx foo', 'id:1,deny'], 'a.conf', 1, []))
 */
export function* buildSecRuleSteps(args: readonly string[], file: string, line: number, defaults: readonly RawAction[] | ((phase: number) => readonly RawAction[])): Steps<Rule> {
  if (args.length < 2 || args.length > 3) throw new WafLoadError(`SecRule takes 2 or 3 arguments, got ${args.length}`, file, line);
  const rule = blankRule('SecRule', file, line);
  const specs = parseVariables(args[0] as string, file, line);
  rule.targets = specs.filter((s) => !s.exclude);
  rule.exclusions = specs.filter((s) => s.exclude);
  let op = (args[1] as string).trim();
  if (op.startsWith('!')) { rule.negated = true; op = op.slice(1).trimStart(); }
  let name = 'rx';
  let arg = op;
  if (op.startsWith('@')) {
    const sp = op.search(/\s/);
    name = sp === -1 ? op.slice(1) : op.slice(1, sp);
    arg = sp === -1 ? '' : op.slice(sp + 1).trimStart();
  }
  let factory;
  try { factory = operators.get(name); } catch (e) { throw new WafLoadError((e as Error).message, file, line); }
  try {
    const init = { argument: arg, baseDir: '', file, line };
    rule.operator = rememberMisses(factory.steps === undefined ? factory(init) : yield* factory.steps(init));
  } catch (e) {
    if (e instanceof WafLoadError) throw e;
    // A pattern no linear-time engine can run: the rule is kept in place (skip counts stay
    // right) but never runs; the loader reports it with its id. Never a backtracking fallback.
    if (e instanceof UnsupportedPatternError) rule.unsupported = `@${name}: ${e.message}`;
    else throw new WafLoadError(`@${name}: ${(e as Error).message}`, file, line);
  }
  rule.operatorName = name;
  rule.operatorArgument = arg;
  const list = args[2] === undefined ? [] : parseActionList(args[2], file, line);
  const d = typeof defaults === 'function' ? defaults(phaseOf(list)) : defaults;
  applyActions(rule, d, file, line);
  applyActions(rule, list, file, line);
  return rule;
}

/**
 * Compiles `SecAction ACTIONS` (an unconditional rule).
 *
 * @example
 * buildSecAction(['id:900000,pass,setvar:tx.x=1'], 'a.conf', 1, [])
 */
export function buildSecAction(args: readonly string[], file: string, line: number, defaults: (phase: number) => readonly RawAction[]): Rule {
  if (args.length !== 1) throw new WafLoadError(`SecAction takes 1 argument, got ${args.length}`, file, line);
  const rule = blankRule('SecAction', file, line);
  const list = parseActionList(args[0] as string, file, line);
  applyActions(rule, defaults(phaseOf(list)), file, line);
  applyActions(rule, list, file, line);
  return rule;
}
