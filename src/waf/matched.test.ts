/**
 * The match bookkeeping written when read (ADR 0036): every reader (a target, a macro, a chain
 * child, the log, RULE.*, the transaction's own accessors and its snapshot) sees what the
 * engine wrote at every match before it, and a msg is expanded from the match it was set for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate, type WafMatch } from './engine.js';
import { Transaction } from './transaction.js';
import { snapshotTransaction } from './transaction-state.js';
import { setEagerMatched } from './matched.js';
import type { RuleSet } from './rules/ruleset.js';

const load = (rules: string): RuleSet => loadRuleString(`SecRuleEngine On\nSecRequestBodyAccess On\n${rules}`);

function run(rs: RuleSet, uri: string, headers: Array<[string, string]> = []): { tx: Transaction; matches: WafMatch[] } {
  const tx = new Transaction({ method: 'GET', uri, headers: [['Host', 'api.test'], ...headers] }, 'id');
  const matches: WafMatch[] = [];
  for (const p of [1, 2]) matches.push(...evaluate(rs, tx, p).matches);
  return { tx, matches };
}

/** Both ways: written when read, and written at every match (the engine before ADR 0036). */
function both(check: (eager: boolean) => void): void {
  for (const eager of [false, true]) {
    setEagerMatched(eager);
    try { check(eager); } finally { setEagerMatched(false); }
  }
}

test('a TX gate match nobody reads is still there for a later target, macro and log line', () => {
  const rs = load(`SecAction "id:1,phase:1,pass,nolog,setvar:tx.level=1"
SecRule TX:LEVEL "@lt 2" "id:2,phase:1,pass,nolog"
SecRule ARGS:none "@rx x" "id:3,phase:1,pass,nolog"
SecRule MATCHED_VAR_NAME "@streq TX:level" "id:4,phase:1,pass,log,msg:'was %{MATCHED_VAR}',logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}',setvar:tx.seen=%{matched_var_name}"`);
  both(() => {
    const { tx, matches } = run(rs, '/?a=1');
    // Rule 3 read nothing that matched: MATCHED_VAR still names rule 2's match when rule 4 reads it.
    assert.deepEqual(matches.map((m) => [m.ruleId, m.variable, m.data, m.msg]), [[4, 'MATCHED_VAR_NAME', 'MATCHED_VAR_NAME=TX:level', 'was TX:level']]);
    assert.equal(tx.tx.first('seen'), 'MATCHED_VAR_NAME');
    assert.equal(tx.scalars.get('MATCHED_VAR'), 'TX:level');
    assert.deepEqual(tx.collection('MATCHED_VARS').all().map((e) => [e.key, e.value]), [['MATCHED_VAR_NAME', 'TX:level']]);
    assert.equal(tx.collection('RULE').first('id'), '4');
  });
});

test('MATCHED_VARS holds the evaluated rule\'s matches only, MATCHED_VAR outlives it', () => {
  const rs = load(`SecRule ARGS "@rx ^[0-9]+$" "id:10,phase:2,pass,nolog"
SecRule ARGS:none "@rx x" "id:11,phase:2,pass,nolog"
SecAction "id:12,phase:2,pass,nolog,setvar:tx.count=%{matched_var},setvar:tx.after=x"`);
  both(() => {
    const { tx } = run(rs, '/?a=1&b=x&c=22');
    assert.equal(tx.tx.first('count'), '22');
    assert.deepEqual(tx.collection('MATCHED_VARS').all(), [], 'rule 11 (and the SecAction) cleared it');
    assert.equal(tx.scalars.get('MATCHED_VAR_NAME'), 'ARGS:c');
    assert.equal(tx.collection('RULE').first('id'), '12');
  });
  const chained = load(`SecRule ARGS "@rx ^[0-9]+$" "id:20,phase:2,pass,nolog,chain"
  SecRule MATCHED_VARS_NAMES "@rx ^ARGS:(a|c)$" "setvar:tx.names=+1,chain"
    SecRule &MATCHED_VARS "@eq 4" "setvar:tx.four=1"`);
  both(() => {
    const { tx } = run(chained, '/?a=1&b=x&c=22');
    // The head's two matches are read by the child (its setvar runs per matched value); each link appends its own.
    assert.equal(tx.tx.first('names'), '2');
    assert.equal(tx.tx.first('four'), '1');
    assert.deepEqual(tx.collection('MATCHED_VARS_NAMES').all().map((e) => e.value), ['ARGS:a', 'ARGS:c', 'MATCHED_VARS_NAMES:ARGS:a', 'MATCHED_VARS_NAMES:ARGS:c', '&MATCHED_VARS']);
  });
});

test('RULE.msg is the head\'s msg as expanded at its match, not at the read', () => {
  const rs = load(`SecAction "id:30,phase:1,pass,nolog,setvar:tx.k=before"
SecRule ARGS:a "@rx ." "id:31,phase:1,pass,nolog,msg:'m %{MATCHED_VAR} %{matched_var_name}',chain"
  SecRule ARGS:b "@rx ." "setvar:tx.m=%{rule.msg}|%{MATCHED_VAR}|%{rule.id}"
SecRule ARGS:a "@rx ." "id:32,phase:1,pass,nolog,msg:'t %{tx.k}',setvar:tx.k=after,chain"
  SecRule ARGS:b "@rx ." "setvar:tx.t=%{rule.msg}"`);
  both(() => {
    const { tx } = run(rs, '/?a=1&b=2');
    // A deferred msg (it reads only the match) from the head's match, not the child's.
    assert.equal(tx.tx.first('m'), 'm 1 ARGS:a|2|31');
    // A msg reading TX from TX as it was at the match, before the head's setvar.
    assert.equal(tx.tx.first('t'), 't before');
    assert.equal(tx.collection('RULE').first('msg'), 't before');
  });
});

test('a snapshot for the response phases carries the bookkeeping of an unread match', () => {
  const rs = load(`SecRule REQUEST_HEADERS:Host "@rx ." "id:40,phase:1,pass,nolog,msg:'host'"`);
  both(() => {
    const { tx } = run(rs, '/');
    const s = snapshotTransaction(tx);
    assert.ok(s.scalars.some(([k, v]) => k === 'MATCHED_VAR_NAME' && v === 'REQUEST_HEADERS:Host'));
    const rule = s.collections.find(([n]) => n === 'RULE');
    assert.deepEqual(rule?.[1], [['id', '40'], ['msg', 'host'], ['severity', ''], ['logdata', '']]);
  });
});

test('@rx ^.*$ with capture copies each header name to TX.0 as the regex did (920450)', () => {
  const rs = load(`SecRule REQUEST_HEADERS_NAMES "@rx ^.*$" "id:50,phase:1,pass,nolog,capture,t:none,t:lowercase,setvar:'tx.hn_%{tx.0}=/%{tx.0}/',chain"
  SecRule TX:/^hn_/ "@within /x-bad/ /proxy/" "setvar:tx.bad=+1"
SecRule REQUEST_HEADERS "@rx ^.*$" "id:51,phase:1,pass,nolog,capture,setvar:tx.last=%{tx.0}"`);
  const { tx } = run(rs, '/', [['X-Bad', 'a\nb'], ['Accept', '']]);
  assert.deepEqual(tx.tx.all().filter((e) => e.key.startsWith('hn_')).map((e) => [e.key, e.value]), [['hn_host', '/host/'], ['hn_x-bad', '/x-bad/'], ['hn_accept', '/accept/']]);
  assert.equal(tx.tx.first('bad'), '1');
  // An empty value matches too, and a newline is part of the match (dotall, as ModSecurity's PCRE_DOTALL).
  assert.equal(tx.tx.first('last'), '');
  const nl = run(rs, '/', [['X-A', 'a\nb']]);
  assert.equal(nl.tx.tx.first('last'), 'a\nb');
});
