/**
 * What the engine keeps across transactions and what it probes (ADR 0025): group scan results
 * and operator misses per value, key-selector answers per key, and rules reading only TX keys
 * probed before they are evaluated. None of it may carry one request's captures, matched
 * variables or TX into another, or let an attack through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate, type EvaluateOptions, type WafMatch } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import type { RuleSet } from './rules/ruleset.js';
import { setValueCaches } from './rules/value-cache.js';

const get = (uri: string, headers: Array<[string, string]> = []): TransactionInput => ({ method: 'GET', uri, headers: [['Host', 'api.test'], ...headers] });

function run(rs: RuleSet, input: TransactionInput, options: EvaluateOptions = {}): { tx: Transaction; matches: WafMatch[]; status: number | undefined } {
  const tx = new Transaction(input);
  const matches: WafMatch[] = [];
  let status: number | undefined;
  for (const p of [1, 2]) {
    const r = evaluate(rs, tx, p, options);
    matches.push(...r.matches);
    if (r.interrupted) { status = r.interrupted.status; break; }
  }
  return { tx, matches, status };
}

const load = (rules: string): RuleSet => loadRuleString(`SecRuleEngine On\nSecRequestBodyAccess On\n${rules}`);

test('a value seen before gets its captures, matched variable and chain from its own request, and a miss gets none', () => {
  const rs = load(`SecRule ARGS "@rx (a)(b+)" "id:1,phase:2,pass,capture,msg:'m',logdata:'%{TX.2} %{tx.name}',setvar:tx.name=%{MATCHED_VAR_NAME},chain"
  SecRule TX:2 "@streq bbb" "setvar:tx.chained=+1"
SecRule ARGS "@detectSQLi" "id:2,phase:2,pass,capture,msg:'s',logdata:'%{TX.0} %{MATCHED_VAR_NAME}'"`);
  for (let round = 0; round < 3; round++) {
    const x = run(rs, get('/?x=abbb'));
    assert.deepEqual(x.matches.map((m) => [m.ruleId, m.data]), [[1, 'bbb ARGS:x']]);
    assert.equal(x.tx.tx.first('chained'), '1');
    // The same value under another name: the name comes from this request, not the cached scan.
    const y = run(rs, get('/?y=abbb'));
    assert.deepEqual(y.matches.map((m) => [m.ruleId, m.data]), [[1, 'bbb ARGS:y']]);
    // The value the chain child saw as a miss before (TX:2 = 'b') matches the head, not the child.
    const z = run(rs, get('/?z=ab'));
    assert.deepEqual(z.matches, []);
    assert.equal(z.tx.tx.first('chained'), undefined);
    assert.equal(z.tx.tx.first('2'), 'b');
    // A remembered miss writes nothing: no TX.0-9, no MATCHED_VAR from an earlier request.
    const miss = run(rs, get('/?x=zzz'));
    assert.deepEqual(miss.matches, []);
    assert.equal(miss.tx.tx.first('2'), undefined);
    assert.equal(miss.tx.tx.first('0'), undefined);
    assert.equal(miss.tx.scalars.get('MATCHED_VAR'), undefined);
    // libinjection's fingerprint is captured per request, after misses of the same rule were remembered.
    const sqli = run(rs, get(`/?q=${encodeURIComponent("1' or '1'='1")}`));
    assert.deepEqual(sqli.matches.map((m) => m.ruleId), [2]);
    assert.match(sqli.matches[0]!.data, /^\S+ ARGS:q$/);
  }
});

test('an attack still blocks after the rules remembered thousands of benign values, including its own parts', () => {
  const rs = load(`SecRule ARGS|ARGS_NAMES|REQUEST_HEADERS "@rx (?i)union\\s+select" "id:10,phase:2,deny,status:403,t:urlDecodeUni"
SecRule ARGS "@detectSQLi" "id:11,phase:2,deny,status:403"
SecRule REQUEST_HEADERS:User-Agent "@pm sqlmap nikto" "id:12,phase:1,deny,status:403"`);
  for (let i = 0; i < 3000; i++) {
    // Enough distinct values to turn every cache's generations over several times.
    const r = run(rs, get(`/?q=union${i}&s=select&n${i}=1`, [['User-Agent', `Mozilla/5.0 build ${i % 7}`]]));
    assert.equal(r.status, undefined, `benign request ${i} was refused`);
  }
  // Each attack twice: the second time its values are ones the caches have seen.
  for (let i = 0; i < 2; i++) {
    assert.equal(run(rs, get('/?q=union%20select%201')).status, 403);
    assert.equal(run(rs, get('/?q=x', [['X-Forwarded-Host', 'a UNION  SELECT b']])).status, 403);
    assert.equal(run(rs, get(`/?s=${encodeURIComponent("1' or '1'='1")}`)).status, 403);
    assert.equal(run(rs, get('/?q=x', [['User-Agent', 'sqlmap/1.7']])).status, 403);
  }
  // The benign values keep passing after the attacks were seen.
  assert.equal(run(rs, get('/?q=union1&s=select')).status, undefined);
});

test('a rule reading only TX follows setvars made by this request, counts, negation and ctl removals', () => {
  const rs = load(`SecAction "id:20,phase:1,pass,nolog,setvar:tx.lvl=1"
SecRule ARGS:pl "@rx ^(\\d)$" "id:21,phase:1,pass,nolog,capture,setvar:tx.lvl=%{tx.1}"
SecRule TX:lvl "@lt 2" "id:22,phase:1,pass,nolog,skipAfter:END-GATE"
SecRule ARGS "@rx x" "id:23,phase:1,pass"
SecMarker END-GATE
SecRule &TX:init "@eq 0" "id:24,phase:1,pass,nolog,setvar:tx.init=1"
SecRule TX:init "!@eq 1" "id:25,phase:1,pass"
SecRule ARGS:s "@rx ^(\\d+)$" "id:26,phase:2,pass,nolog,capture,setvar:tx.score=%{tx.1}"
SecRule TX:score "@ge 5" "id:27,phase:2,pass,msg:'score',logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
SecRule ARGS:rm "@streq 1" "id:28,phase:1,pass,nolog,ctl:ruleRemoveTargetById=29;TX:init"
SecRule TX:init "@eq 1" "id:29,phase:1,pass"`);
  const cases: Array<[string, number[], string[]]> = [
    ['/?a=x', [29], []],
    ['/?a=x&pl=3', [23, 29], []],
    ['/?a=x&pl=3&s=7', [23, 29, 27], ['TX:score=7']],
    ['/?a=x&s=4', [29], []],
    ['/?rm=1&s=9', [27], ['TX:score=9']],
  ];
  for (const prune of [true, false]) {
    for (const [uri, ids, data] of cases) {
      const r = run(rs, get(uri), { prune });
      assert.deepEqual(r.matches.map((m) => m.ruleId), ids, `${uri} prune=${prune}`);
      assert.deepEqual(r.matches.filter((m) => m.ruleId === 27).map((m) => m.data), data, uri);
      assert.equal(r.tx.tx.first('init'), '1');
    }
  }
  // The TX-only rules that cannot match (25: init is 1; 27: no score) were not evaluated;
  // those that match (22, 24, 29) were.
  const profile = new Map<number, number>();
  run(rs, get('/?a=x'), { profile });
  assert.deepEqual([25, 27, 22, 24, 29].map((id) => profile.has(id)), [false, false, true, true, true]);
});

test('key selectors and removals by tag answer per key and per rule, request after request', () => {
  const rs = load(`SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/^_ga/ "@rx evil" "id:30,phase:1,pass"
SecRule REQUEST_URI "@beginsWith /quiet" "id:31,phase:1,pass,nolog,ctl:ruleRemoveTargetByTag=noisy;ARGS:q"
SecRule ARGS "@rx evil" "id:32,phase:1,pass,tag:'noisy'"
SecRule ARGS "@rx evil" "id:33,phase:1,pass"`);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(run(rs, get('/', [['Cookie', '_ga=evil']])).matches.map((m) => m.ruleId), []);
    assert.deepEqual(run(rs, get('/', [['Cookie', 'other=evil']])).matches.map((m) => m.ruleId), [30]);
    assert.deepEqual(run(rs, get('/', [['Cookie', '_GA_x=evil; ga=evil']])).matches.map((m) => m.ruleId), [30]);
    assert.deepEqual(run(rs, get('/quiet?q=evil')).matches.map((m) => m.ruleId), [33]);
    assert.deepEqual(run(rs, get('/quiet?r=evil')).matches.map((m) => m.ruleId), [32, 33]);
    assert.deepEqual(run(rs, get('/loud?q=evil')).matches.map((m) => m.ruleId), [32, 33]);
  }
});

test('a rule\'s misses per raw value (ADR 0036): the same value misses under any name, a hit is computed every time, a negated rule answers the same', () => {
  const rs = load(`SecRule ARGS|ARGS_NAMES|REQUEST_HEADERS "@validateByteRange 1-255" "id:1,phase:2,pass,t:none,t:urlDecodeUni,msg:'nul',logdata:'%{MATCHED_VAR_NAME}'"
SecRule ARGS "!@validateByteRange 1-255" "id:2,phase:2,pass,t:none,t:urlDecodeUni,msg:'clean',logdata:'%{MATCHED_VAR_NAME}'"`);
  const seen = (x: { matches: WafMatch[] }): string[] => x.matches.map((m) => `${m.ruleId} ${m.data}`);
  for (const caches of [true, false]) {
    setValueCaches(caches);
    try {
      for (let round = 0; round < 3; round++) {
        // 'abc' missed rule 1 in round 0 under ARGS:a; it still misses as a header and a name, and rule 2 (negated) matches it each time.
        assert.deepEqual(seen(run(rs, get('/?a=abc', [['X-Abc', 'abc']]))), ['2 ARGS:a']);
        assert.deepEqual(seen(run(rs, get('/?abc=abc'))), ['2 ARGS:abc']);
        // A NUL after decoding (the raw value is `x%00y`) is caught each time, also beside a value remembered as a miss.
        assert.deepEqual(seen(run(rs, get('/?a=abc&b=x%2500y'))), ['1 ARGS:b', '2 ARGS:a']);
      }
    } finally {
      setValueCaches(true);
    }
  }
});
