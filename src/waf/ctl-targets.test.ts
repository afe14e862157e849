/**
 * ctl:ruleRemoveTargetById / ByTag, each form of target (ADR 0031): what ModSecurity v3 does,
 * and where it cannot express a form (regex keys, id ranges), what Coraza does. Then the CRS
 * case that motivated it: 941010 removes REQUEST_FILENAME from the `xss-perf-disable` rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleString, SecLangLoader } from './rules/parser.js';
import { WafLoadError } from './rules/errors.js';
import { evaluate } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { CONFORMANCE_DIR } from '../../test/helpers/inputs.js';

const req = (over: Partial<TransactionInput> = {}): Transaction =>
  new Transaction({ method: 'GET', uri: '/', headers: [['Host', 'api.test']], ...over });

/** The ids of the rules that matched in phases 1-2. Each request below carries one `evil` value, to tell which targets a rule still reads. */
function run(rules: string, tx: Transaction): number[] {
  const rs = loadRuleString(`SecRuleEngine DetectionOnly\n${rules}`);
  return [...evaluate(rs, tx, 1).matches, ...evaluate(rs, tx, 2).matches].map((m) => m.ruleId).filter((id) => id >= 10);
}
const h = (...more: Array<[string, string]>): Array<[string, string]> => [['Host', 'api.test'], ...more];

/** A phase-1 action with this id that removes a target from what follows, on every request. */
const remove = (id: number, ctl: string): string => `SecAction "id:${id},phase:1,pass,nolog,ctl:${ctl}"`;

test('a single-valued variable (REQUEST_FILENAME) removed by id is no longer inspected by that rule; its other targets are', () => {
  const rules = `SecRule REQUEST_FILENAME|ARGS "@contains evil" "id:10,phase:2,pass"
SecRule REQUEST_FILENAME "@contains evil" "id:11,phase:2,pass"`;
  // Without the ctl 10 matches on the filename; with it (the defect: it was ignored) only 11 does.
  assert.deepEqual(run(rules, req({ uri: '/evil' })), [10, 11]);
  const removed = `${remove(1, 'ruleRemoveTargetById=10;REQUEST_FILENAME')}\n${rules}`;
  assert.deepEqual(run(removed, req({ uri: '/evil' })), [11]);
  assert.deepEqual(run(removed, req({ uri: '/ok?q=evil' })), [10], 'still inspects ARGS');
});

test('a whole collection removed by id drops the rule\'s whole-collection target and its count, and leaves a keyed target (v3: by name as written)', () => {
  const rules = `${remove(1, 'ruleRemoveTargetById=10-12;ARGS')}
SecRule ARGS|REQUEST_HEADERS:X-Probe "@contains evil" "id:10,phase:2,pass"
SecRule &ARGS "@eq 0" "id:11,phase:2,pass"
SecRule ARGS:pw "@contains evil" "id:12,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ uri: '/?a=evil' })), [], 'no ARGS value; a removed &ARGS is not evaluated as 0 (which @eq 0 matches)');
  assert.deepEqual(run(rules, req({ uri: '/', headers: h(['X-Probe', 'evil']) })), [10], 'the header still');
  assert.deepEqual(run(rules, req({ uri: '/?pw=evil' })), [12], 'ARGS:pw is not the whole of ARGS');
});

test('collection:key removed by id drops that key (case-insensitively) from the rule\'s targets of the collection, other keys and rules stay', () => {
  const rules = `${remove(1, 'ruleRemoveTargetById=10;ARGS:PW')}
SecRule ARGS "@contains evil" "id:10,phase:2,pass"
SecRule ARGS "@contains evil" "id:20,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ uri: '/?Pw=evil' })), [20]);
  assert.deepEqual(run(rules, req({ uri: '/?name=evil' })), [10, 20]);
  // A rule reading exactly that key loses the target, its count included (not evaluated as 0).
  const keyed = `${remove(1, 'ruleRemoveTargetById=10;ARGS:pw')}
${remove(2, 'ruleRemoveTargetById=11;ARGS:pw')}
SecRule ARGS:pw "@contains evil" "id:10,phase:2,pass"
SecRule &ARGS:pw "@eq 0" "id:11,phase:2,pass"`;
  assert.deepEqual(run(keyed, req({ uri: '/?pw=evil' })), []);
});

test('collection:/regex/ removed by id drops the keys it matches; the pattern keeps its case (\\S is not \\s)', () => {
  const rules = `${remove(1, 'ruleRemoveTargetById=10;REQUEST_COOKIES:/^_ga/')}
${remove(2, 'ruleRemoveTargetById=10;ARGS:/^\\S+_id$/')}
SecRule REQUEST_COOKIES|ARGS "@contains evil" "id:10,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ headers: h(['Cookie', '_ga_X=evil']) })), []);
  assert.deepEqual(run(rules, req({ headers: h(['Cookie', 'sid=evil']) })), [10]);
  assert.deepEqual(run(rules, req({ uri: '/?user_id=evil' })), []);
  assert.deepEqual(run(rules, req({ uri: '/?q=evil' })), [10]);
});

test('an id range removes the target from every rule in it, and only those', () => {
  const rules = `${remove(1, 'ruleRemoveTargetById=10-11;REQUEST_FILENAME')}
SecRule REQUEST_FILENAME "@contains evil" "id:10,phase:2,pass"
SecRule REQUEST_FILENAME "@contains evil" "id:11,phase:2,pass"
SecRule REQUEST_FILENAME "@contains evil" "id:12,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ uri: '/evil' })), [12]);
});

test('by tag: a single-valued variable, a key and a regex key, only for rules carrying the tag', () => {
  const rules = `${remove(1, 'ruleRemoveTargetByTag=perf;REQUEST_FILENAME')}
${remove(2, 'ruleRemoveTargetByTag=perf;ARGS:pw')}
${remove(3, 'ruleRemoveTargetByTag=perf;REQUEST_COOKIES:/^_ga/')}
SecRule REQUEST_FILENAME|ARGS|REQUEST_COOKIES "@contains evil" "id:10,phase:2,pass,tag:'perf'"
SecRule REQUEST_FILENAME|ARGS|REQUEST_COOKIES "@contains evil" "id:11,phase:2,pass,tag:'other'"`;
  assert.deepEqual(run(rules, req({ uri: '/evil' })), [11]);
  assert.deepEqual(run(rules, req({ uri: '/?pw=evil' })), [11]);
  assert.deepEqual(run(rules, req({ headers: h(['Cookie', '_ga=evil']) })), [11]);
  assert.deepEqual(run(rules, req({ uri: '/?q=evil' })), [10, 11]);
  assert.deepEqual(run(rules, req({ headers: h(['Cookie', 'sid=evil']) })), [10, 11]);
});

test('a rule-level !REQUEST_FILENAME still removes the single value; a ctl removal applies to its transaction only', () => {
  assert.deepEqual(run('SecRule REQUEST_FILENAME|ARGS|!REQUEST_FILENAME "@contains evil" "id:10,phase:2,pass"', req({ uri: '/evil' })), []);
  const rules = `SecRule REQUEST_URI "@beginsWith /static" "id:1,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;REQUEST_FILENAME"
SecRule REQUEST_FILENAME "@contains evil" "id:10,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ uri: '/static/evil' })), []);
  assert.deepEqual(run(rules, req({ uri: '/api/evil' })), [10]);
});

test('by msg: ModSecurity v3 has no ctl:ruleRemoveTargetByMsg; it is refused at load, not ignored', () => {
  assert.throws(() => loadRuleString(remove(1, 'ruleRemoveTargetByMsg=SQL Injection;ARGS:pw')), (e: unknown) => e instanceof WafLoadError && /ruleremovetargetbymsg/i.test(e.message));
});

const CRS = join(CONFORMANCE_DIR, 'crs-4-rules');

test('CRS v4: 941010 removes REQUEST_FILENAME from 941180 (xss-perf-disable), which still matches on ARGS', { skip: !existsSync(CRS) && 'CRS v4 rules not found' }, () => {
  const l = new SecLangLoader();
  l.loadFile(join(CRS, 'crs-setup.conf.example'));
  l.loadString('SecRuleEngine DetectionOnly\n', join(CRS, 'ctl-targets-setup.conf'));
  for (const f of readdirSync(join(CRS, 'rules')).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(CRS, 'rules', f));
  const rs = l.finish();
  const on = (uri: string): string[] => {
    const tx = req({ uri, headers: [['Host', 'api.test'], ['User-Agent', 'ctl-targets-test'], ['Accept', '*/*']] });
    const ms = [...evaluate(rs, tx, 1).matches, ...evaluate(rs, tx, 2).matches];
    return ms.filter((m) => m.ruleId === 941180).map((m) => m.variable);
  };
  // Only the bytes 941010 deems safe (letters, digits, `-./_`): the removal applies, as in ModSecurity.
  assert.deepEqual(on('/docs/document.cookie'), []);
  assert.deepEqual(on('/docs/x?q=document.cookie'), ['ARGS:q']);
});
