/**
 * The miss ledger (ADR 0038): a rule whose every input value is a known miss is skipped, and
 * nothing it skips may let a value through that the rule would have matched, or leave a
 * request in another state than an evaluation would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import type { RuleSet } from './rules/ruleset.js';
import { phasePlan } from './rules/plan.js';
import { remembersMisses } from './miss-ledger.js';

const get = (uri: string, headers: Array<[string, string]> = []): TransactionInput => ({ method: 'GET', uri, headers: [['Host', 'api.test'], ...headers] });
const load = (rules: string): RuleSet => loadRuleString(`SecRuleEngine On\nSecRequestBodyAccess On\n${rules}`);

/** Runs phases 1-2; the status if refused, and how many rules were evaluated in phase 2. */
function run(rs: RuleSet, input: TransactionInput): { status: number | undefined; evaluated: number; tx: Transaction } {
  const tx = new Transaction(input);
  const r1 = evaluate(rs, tx, 1);
  if (r1.interrupted) return { status: r1.interrupted.status, evaluated: 0, tx };
  const stats = { skipped: 0, evaluated: 0 };
  const r2 = evaluate(rs, tx, 2, { stats });
  return { status: r2.interrupted?.status, evaluated: stats.evaluated, tx };
}

test('a rule whose every value is a known miss is skipped, and runs again for a new value that it then refuses', () => {
  // No literal: the candidate automaton cannot skip it, only an evaluation records its misses.
  const rs = load('SecRule ARGS|REQUEST_HEADERS:User-Agent "@rx ^[0-9]{5}$" "id:1,phase:2,deny,status:403"');
  const benign = get('/?a=1&b=two', [['User-Agent', 'x']]);
  const first = run(rs, benign);
  assert.deepEqual([first.status, first.evaluated], [undefined, 1]);
  const again = run(rs, benign);
  assert.deepEqual([again.status, again.evaluated], [undefined, 0]);
  // One new value among known ones: evaluated, and the attack is refused.
  const attack = run(rs, get('/?a=1&b=12345', [['User-Agent', 'x']]));
  assert.deepEqual([attack.status, attack.evaluated], [403, 1]);
  // A value that matched is never remembered as a miss: the same attack again is refused again.
  assert.equal(run(rs, get('/?a=1&b=12345', [['User-Agent', 'x']])).status, 403);
  // The key a target names is what counts: another header's value does not reopen the rule.
  assert.equal(run(rs, get('/?a=1&b=two', [['User-Agent', 'x'], ['Accept', 'new']])).evaluated, 0);
  assert.equal(run(rs, get('/?a=1&b=two', [['User-Agent', '54321']])).status, 403);
});

test('values the automaton proves free of a rule\'s literals are remembered, and a value with one is still refused', () => {
  const rs = load('SecRule ARGS "@rx zz[0-9]" "id:2,phase:2,deny,status:403"');
  for (let i = 0; i < 3; i++) {
    const r = run(rs, get('/?a=1&b=two'));
    assert.deepEqual([r.status, r.evaluated], [undefined, 0]);
  }
  assert.equal(run(rs, get('/?a=1&b=zz9')).status, 403);
  assert.equal(run(rs, get('/?a=1&b=two')).status, undefined);
});

test('a value a rule\'s exclusion drops is not remembered as its miss: the same value elsewhere is refused', () => {
  const rs = load('SecRule REQUEST_COOKIES|!REQUEST_COOKIES:skip|ARGS "@rx ^[0-9]{5}$" "id:3,phase:2,deny,status:403"');
  const excluded = get('/?a=1', [['Cookie', 'skip=12345; other=x']]);
  assert.equal(run(rs, excluded).status, undefined);
  // The excluded cookie is not one of its values: the rule is skipped once the others are known.
  assert.equal(run(rs, excluded).evaluated, 0);
  assert.equal(run(rs, get('/?a=12345', [['Cookie', 'skip=12345; other=x']])).status, 403);
  assert.equal(run(rs, get('/?a=1', [['Cookie', 'skip=1; other=12345']])).status, 403);
});

test('a target a ctl removal drops is left out for that request only', () => {
  const rs = load(`SecRule REQUEST_HEADERS:X-Drop "@streq yes" "id:4,phase:1,pass,nolog,ctl:ruleRemoveTargetById=5;REQUEST_FILENAME"
SecRule REQUEST_FILENAME|ARGS "@rx ^/[0-9]{5}$" "id:5,phase:2,deny,status:403"`);
  const dropped = get('/12345?a=1', [['X-Drop', 'yes']]);
  assert.equal(run(rs, dropped).status, undefined);
  assert.equal(run(rs, dropped).status, undefined);
  assert.equal(run(rs, dropped).evaluated, 0);
  // Without the removal the path is read again: refused.
  assert.equal(run(rs, get('/12345?a=1')).status, 403);
});

test('a negated rule that captures is never skipped: its "no" writes TX.0-9', () => {
  const rs = load(`SecRule ARGS "!@rx ^([a-z]+)$" "id:6,phase:2,pass,nolog,capture"
SecRule TX:1 "@streq abc" "id:7,phase:2,pass,nolog,setvar:tx.saw=1"`);
  for (let i = 0; i < 3; i++) assert.equal(run(rs, get('/?a=abc')).tx.tx.first('saw'), '1');
  const plan = phasePlan(rs, 2);
  assert.equal(remembersMisses(plan.rules.find((r) => r.id === 6)!), false);
  const plain = load('SecRule ARGS "!@rx ^[a-z]+$" "id:8,phase:2,deny"');
  assert.equal(remembersMisses(phasePlan(plain, 2).rules.find((r) => r.id === 8)!), true);
});

test('rules reading what changes while a phase runs, counts, or an operator with a macro are not remembered', () => {
  const rs = load(`SecRule TX:a "@rx x" "id:9,phase:2,pass"
SecRule &ARGS "@gt 3" "id:10,phase:2,pass"
SecRule ARGS "@streq %{tx.expected}" "id:11,phase:2,pass"
SecRule ARGS "@streq constant" "id:12,phase:2,pass"`);
  const verdict = (id: number): boolean => remembersMisses(phasePlan(rs, 2).rules.find((r) => r.id === id)!);
  assert.deepEqual([9, 10, 11, 12].map(verdict), [false, false, false, true]);
});
