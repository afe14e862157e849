import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate, type EvaluateOptions } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { transformations } from './transformations/builtins.js';
import { phasePlan } from './rules/plan.js';

const req = (over: Partial<TransactionInput> = {}): TransactionInput => ({ method: 'GET', uri: '/', headers: [['Host', 'api.test']], ...over });

function run(rules: string, input: TransactionInput, options: EvaluateOptions = {}): number[] {
  const rs = loadRuleString(`SecRequestBodyAccess On\nSecRuleEngine DetectionOnly\n${rules}`);
  const tx = new Transaction(input);
  return [1, 2].flatMap((p) => evaluate(rs, tx, p, options).matches.map((m) => m.ruleId));
}

// Calls of a counting transformation registered for these tests only.
let calls: string[] = [];
transformations.register('countingLowercase', (s: string) => { calls.push(s); const v = s.toLowerCase(); return { value: v, changed: v !== s }; }, { status: 'experimental', posture: 'test only' });

test('a chain runs once per distinct value per transaction, however many rules apply it', () => {
  calls = [];
  const ids = run(`SecRule ARGS "@rx union" "id:1,phase:1,pass,t:countingLowercase"
SecRule ARGS "@rx select" "id:2,phase:1,pass,t:countingLowercase"
SecRule ARGS|ARGS_NAMES "@contains zzz" "id:3,phase:2,pass,t:countingLowercase"`, req({ uri: '/?a=UNION&b=Select&c=UNION' }));
  assert.deepEqual(ids, [1, 2]);
  // 'UNION' twice in ARGS and once per name: each distinct string is transformed once.
  assert.deepEqual([...calls].sort(), ['Select', 'UNION', 'a', 'b', 'c']);
});

test('the memo is per transaction: a new transaction transforms again', () => {
  calls = [];
  const rules = 'SecRule ARGS "@rx x" "id:1,phase:1,pass,t:countingLowercase"';
  run(rules, req({ uri: '/?a=X' }));
  run(rules, req({ uri: '/?a=X' }));
  assert.deepEqual(calls, ['X', 'X']);
});

test('a rule none of whose literals occurs in any value it reads is skipped, and the outcome is unchanged', () => {
  const rules = `SecRule ARGS "@rx (?i)union\\s+select" "id:10,phase:2,pass"
SecRule ARGS "@pm nikto sqlmap" "id:11,phase:2,pass"
SecRule REQUEST_HEADERS:User-Agent "@rx ^curl" "id:12,phase:1,pass"
SecRule ARGS "!@rx absent" "id:13,phase:2,pass"
SecRule &ARGS "@gt 0" "id:14,phase:2,pass"`;
  const benign = req({ uri: '/?q=hello&r=world', headers: [['Host', 'a'], ['User-Agent', 'Firefox']] });
  const stats = { skipped: 0, evaluated: 0 };
  assert.deepEqual(run(rules, benign, { stats }), [13, 14]);
  // 10, 11 and 12 have literals nothing contains; 13 is negated and 14 counts: those run.
  assert.deepEqual(stats, { skipped: 3, evaluated: 2 });
  assert.deepEqual(run(rules, benign, { prune: false }), [13, 14]);
  const attack = req({ uri: '/?q=1%20UNION%20%20select%202&ua=sqlmap', headers: [['Host', 'a'], ['User-Agent', 'curl/8']] });
  assert.deepEqual(run(rules, attack), [12, 10, 11, 13, 14]);
  assert.deepEqual(run(rules, attack, { prune: false }), [12, 10, 11, 13, 14]);
});

test('the literal is looked for after the rule\'s transformations, and in every step with multiMatch', () => {
  // %55NION only reads "union" once url-decoded.
  const decoded = 'SecRule ARGS "@rx union" "id:20,phase:2,pass,t:urlDecodeUni,t:lowercase"';
  assert.deepEqual(run(decoded, req({ uri: '/?q=%2555NION' })), [20]);
  // The raw value has the literal, the transformed one lost it: multiMatch still matches.
  const multi = 'SecRule ARGS "@rx a b" "id:21,phase:2,pass,t:removeWhitespace,multiMatch"';
  assert.deepEqual(run(multi, req({ uri: '/?q=a%20b' })), [21]);
});

test('rules reading data that changes during the phase (TX, MATCHED_VAR) are never pruned', () => {
  const rules = `SecAction "id:30,phase:1,pass,nolog,setvar:tx.word=attack"
SecRule TX:word "@rx attack" "id:31,phase:1,pass"
SecRule ARGS "@rx ." "id:32,phase:2,pass,chain"
  SecRule MATCHED_VAR "@rx v" "t:none"`;
  assert.deepEqual(run(rules, req({ uri: '/?a=v' })), [31, 32]);
  const rs = loadRuleString(rules);
  const plan = phasePlan(rs, 1);
  assert.equal(plan.groupOf[plan.rules.findIndex((r) => r.id === 31)], -1);
});
