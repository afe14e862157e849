/**
 * The phase-1 fold (ADR 0030): the leading rules that read and write only TX and ctl state
 * run once per rule set, and each request starts from a copy of what they left. A request
 * must end exactly as it would have without the fold (the unpruned engine, `prune: false`,
 * does not fold), and nothing one request writes may reach the next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate, type EvaluateOptions } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { foldablePrefix } from './fold.js';
import { phasePlan } from './rules/plan.js';
import type { RuleSet } from './rules/ruleset.js';

const get = (uri: string, headers: Array<[string, string]> = []): TransactionInput => ({ method: 'GET', uri, headers: [['Host', 'api.test'], ...headers] });

/** Everything a phase can leave behind, as comparable data. */
function outcome(rs: RuleSet, input: TransactionInput, options: EvaluateOptions, prepare?: (tx: Transaction) => void): unknown {
  const tx = new Transaction(input, 'fixed-id');
  prepare?.(tx);
  const stats = { skipped: 0, evaluated: 0 };
  const phases = [1, 2].map((p) => evaluate(rs, tx, p, { ...options, stats }));
  const collections = [...tx.collectionNames()].sort().map((n) => [n, tx.collection(n).all().map((e) => [e.key, e.value])]);
  return {
    phases: phases.map((r) => ({ interrupted: r.interrupted, matches: r.matches })),
    collections, scalars: [...tx.scalars].sort(), engineMode: tx.engineMode, allowed: tx.allowed,
    ctl: [tx.removedRuleIds, tx.removedTags, [...tx.removedTargets], tx.removedTargetsByTag],
  };
}

/**
 * The folded engine against the same engine without the fold (exactly, MATCHED_VARS included),
 * and against the unpruned engine. Pruning leaves MATCHED_VARS as the last rule it evaluated
 * left them, where the unpruned engine evaluated (and cleared them in) rules that could not
 * match (ADR 0006, 0025): that comparison leaves them out.
 */
const same = (rs: RuleSet, input: TransactionInput, prepare?: (tx: Transaction) => void): void => {
  const folded = outcome(rs, input, {}, prepare) as { collections: Array<[string, unknown]> };
  assert.deepEqual(folded, outcome(rs, input, { fold: false }, prepare));
  const unpruned = outcome(rs, input, { prune: false }, prepare) as { collections: Array<[string, unknown]> };
  const noMatchedVars = (o: { collections: Array<[string, unknown]> }): unknown => ({ ...o, collections: o.collections.filter(([n]) => !n.startsWith('MATCHED_VARS')) });
  assert.deepEqual(noMatchedVars(folded), noMatchedVars(unpruned));
};

// A CRS-like setup: defaults set when missing, a score reset, a ctl, then request rules.
const SETUP = `SecRuleEngine On
SecAction "id:1,phase:1,pass,nolog,setvar:tx.paranoia=1,setvar:tx.limit=5,ctl:ruleRemoveById=90"
SecRule &TX:threshold "@eq 0" "id:2,phase:1,pass,nolog,setvar:tx.threshold=%{tx.limit}"
SecRule &TX:paranoia "@eq 0" "id:3,phase:1,pass,nolog,setvar:tx.paranoia=4"
SecAction "id:4,phase:1,pass,nolog,setvar:tx.score=0,setvar:tx.seen=+1"
SecRule TX:paranoia "@lt 2" "id:5,phase:1,pass,nolog,skipAfter:END-PL2"
SecRule ARGS "@contains pl2" "id:6,phase:1,deny,status:403"
SecMarker END-PL2`;
const REQUEST_RULES = `
SecRule ARGS "@contains attack" "id:10,phase:2,pass,msg:'a',setvar:tx.score=+%{tx.limit}"
SecRule TX:score "@ge %{tx.threshold}" "id:11,phase:2,deny,status:403,msg:'blocked'"
SecRule ARGS "@contains removed" "id:90,phase:2,deny,status:403"`;

test('the folded prefix is the TX-only setup, up to the first rule that reads the request', () => {
  const rs = loadRuleString(`${SETUP}\nSecRule REQUEST_HEADERS:Host "@rx ." "id:7,phase:1,pass,nolog,setvar:tx.host=%{MATCHED_VAR}"\nSecAction "id:8,phase:1,pass,nolog,setvar:tx.after=1"${REQUEST_RULES}`);
  const rules = phasePlan(rs, 1).rules;
  // Rule 6 reads ARGS: the prefix ends there by what the rules read.
  assert.equal(rules[foldablePrefix(rules)]!.id, 6);
  const folded = { skipped: 0, evaluated: 0 };
  const full = { skipped: 0, evaluated: 0 };
  evaluate(rs, new Transaction(get('/?a=1')), 1, { stats: folded });
  evaluate(rs, new Transaction(get('/?a=1')), 1, { prune: false, stats: full });
  // Unfolded, 1-5, 7 and 8 run (6 is skipped by 5's skipAfter). Rule 5's skip is still pending
  // where the prefix ends, so the fold stops before 5: 5, 7 and 8 run on each request.
  assert.equal(full.evaluated, 7);
  assert.equal(folded.evaluated, 3);
});

test('a request ends as it would without the fold: TX, ctl removals, matches, interruption', () => {
  const rs = loadRuleString(SETUP + REQUEST_RULES);
  same(rs, get('/?a=1'));
  same(rs, get('/?a=attack'));
  // The ctl removal of rule 90 is carried: its attack is not refused.
  same(rs, get('/?a=removed'));
  const blocked = outcome(rs, get('/?a=attack'), {}) as { phases: Array<{ interrupted?: { ruleId: number } }> };
  assert.equal(blocked.phases[1]!.interrupted?.ruleId, 11);
  const removed = outcome(rs, get('/?a=removed'), {}) as { phases: Array<{ interrupted?: unknown }> };
  assert.equal(removed.phases[1]!.interrupted, undefined);
});

test('what one request adds to the folded TX does not reach the next', () => {
  const rs = loadRuleString(SETUP + REQUEST_RULES);
  for (let i = 0; i < 3; i++) {
    const attack = new Transaction(get('/?a=attack'));
    evaluate(rs, attack, 1);
    evaluate(rs, attack, 2);
    assert.equal(attack.tx.first('score'), '5');
    const benign = new Transaction(get('/?a=1'));
    evaluate(rs, benign, 1);
    evaluate(rs, benign, 2);
    assert.equal(benign.tx.first('score'), '0');
    assert.equal(benign.tx.first('seen'), '1');
    assert.deepEqual(benign.removedRuleIds, [[90, 90]]);
  }
});

test('a transaction that does not start blank is evaluated in full', () => {
  const rs = loadRuleString(SETUP + REQUEST_RULES);
  // A caller's TX: rule 2's default threshold (the folded 5) must not apply, so the attack's
  // score of 5 stays under the caller's 100.
  const preset = (tx: Transaction): void => { tx.tx.set('threshold', '100'); };
  same(rs, get('/?a=attack'), preset);
  const r = outcome(rs, get('/?a=attack'), {}, preset) as { phases: Array<{ interrupted?: unknown }> };
  assert.equal(r.phases[1]!.interrupted, undefined);
  // Phase 1 run a second time on the same transaction starts from its own TX.
  const tx = new Transaction(get('/?a=1'));
  evaluate(rs, tx, 1);
  tx.tx.set('score', '7');
  evaluate(rs, tx, 1);
  assert.equal(tx.tx.first('score'), '0');
  assert.equal(tx.tx.first('seen'), '2');
});

test('a leading rule that logs, denies or reads request data ends the fold, and the mode decides its outcome per request', () => {
  const rs = loadRuleString(`SecRuleEngine On
SecAction "id:1,phase:1,pass,nolog,setvar:tx.a=1"
SecRule TX:a "@eq 1" "id:2,phase:1,pass,log,msg:'logged %{tx.a}',setvar:tx.b=1"
SecAction "id:3,phase:1,pass,nolog,setvar:tx.c=1"
SecRule TX:c "@eq 1" "id:4,phase:1,deny,status:403"`);
  same(rs, get('/'));
  const r = outcome(rs, get('/'), {}) as { phases: Array<{ interrupted?: { ruleId: number }; matches: Array<{ ruleId: number; msg: string }> }> };
  assert.deepEqual(r.phases[0]!.matches.map((m) => [m.ruleId, m.msg]), [[2, 'logged 1'], [4, '']]);
  assert.equal(r.phases[0]!.interrupted?.ruleId, 4);
  // DetectionOnly (set by the gateway before phase 1): the deny only logs, every request.
  const monitor = (tx: Transaction): void => { tx.engineMode = 'DetectionOnly'; };
  same(rs, get('/'), monitor);
  const m = outcome(rs, get('/'), {}, monitor) as { phases: Array<{ interrupted?: unknown }> };
  assert.equal(m.phases[0]!.interrupted, undefined);
  // A setvar from request data: not folded, so each request gets its own value.
  const rs2 = loadRuleString(`SecRuleEngine On
SecAction "id:1,phase:1,pass,nolog,setvar:tx.ua=%{REQUEST_HEADERS.User-Agent}"
SecRule TX:ua "@streq evil" "id:2,phase:1,deny,status:403"`);
  assert.equal(foldablePrefix(phasePlan(rs2, 1).rules), 0);
  assert.equal(evaluate(rs2, new Transaction(get('/', [['User-Agent', 'evil']])), 1).interrupted?.ruleId, 2);
  assert.equal(evaluate(rs2, new Transaction(get('/', [['User-Agent', 'good']])), 1).interrupted, undefined);
});
