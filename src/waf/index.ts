/**
 * Public surface of the WAF engine (no HTTP here): load SecLang, build a
 * Transaction from plain values, evaluate phases.
 *
 * @example
 * const rs = loadRuleFiles(['crs-setup.conf', 'rules/*.conf']);
 * const tx = new Transaction({ method: 'GET', uri: '/?q=1', headers: [['Host', 'a']] });
 * const res = evaluate(rs, tx, 1);
 */
export { loadRuleFiles, loadRuleString, SecLangLoader } from './rules/parser.js';
export { RuleSet, type EngineSettings, type RegexReport } from './rules/ruleset.js';
export { WafLoadError } from './rules/errors.js';
export { Transaction, type TransactionInput, type ResponseInput } from './transaction.js';
export { snapshotTransaction, restoreTransaction, type TransactionState } from './transaction-state.js';
export { runSteps, type Steps } from './steps.js';
export { phasePlanSteps } from './rules/plan.js';
export { evaluate, releaseTransformMemo, type EvaluateResult, type EvaluateOptions, type WafMatch } from './engine.js';
export { withoutBodyRules } from './response-view.js';
export { operators, type OperatorFactory } from './operators/builtins.js';
export { transformations } from './transformations/builtins.js';
export { actions } from './actions/builtins.js';
export { setRegexEngine, regexEngine, hybridRegexEngine, jsRegexEngine, v8LinearRegexEngine, nonLinearPatterns, type RegexEngine, type CompiledRegex } from './regex/engine.js';
export { re2jsRegexEngine } from './regex/re2js-engine.js';
export { re2RegexEngine, nativeRe2 } from './regex/re2-engine.js';
export { UnsupportedPatternError } from './regex/translate.js';
