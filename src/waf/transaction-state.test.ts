import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, loadRuleString, restoreTransaction, snapshotTransaction, Transaction, type TransactionInput } from './index.js';

const RULES = `
SecRuleEngine On
SecRequestBodyAccess On
SecAction "id:1,phase:1,pass,nolog,setvar:tx.paranoia=2"
SecRule ARGS:q "@contains attack" "id:2,phase:2,pass,log,capture,setvar:tx.score=+3,setvar:tx.last=%{MATCHED_VAR}"
SecRule ARGS:skip "@streq yes" "id:3,phase:2,pass,nolog,ctl:ruleRemoveById=9"
SecRule TX:SCORE "@ge 3" "id:4,phase:4,pass,log,msg:'score seen in phase 4'"
SecRule TX:PARANOIA "@eq 2" "id:5,phase:3,pass,log,msg:'phase 1 variable seen'"
SecRule RESPONSE_STATUS "@streq 200" "id:9,phase:3,pass,log,msg:'removed by ctl'"
`;

const input = (body: string): TransactionInput => ({
  method: 'POST', uri: '/items?page=2', headers: [['Host', 'x'], ['Content-Type', 'application/x-www-form-urlencoded']],
  body: new Uint8Array(Buffer.from(body)),
});

test('a restored transaction continues with the request phases\' TX, captures, ctl changes and flags', () => {
  const rs = loadRuleString(RULES);
  const here = new Transaction(input('q=an attack here&skip=yes'), 'r1');
  evaluate(rs, here, 1);
  evaluate(rs, here, 2);
  // Through structured clone, as between a worker and the event loop.
  const state = structuredClone(snapshotTransaction(here));
  const there = restoreTransaction(input('q=an attack here&skip=yes'), 'r1', state);
  assert.equal(there.tx.first('score'), '3');
  assert.equal(there.tx.first('paranoia'), '2');
  assert.equal(there.tx.first('last'), 'an attack here');
  assert.equal(there.scalars.get('MATCHED_VAR'), here.scalars.get('MATCHED_VAR'));
  assert.deepEqual(there.removedRuleIds, [[9, 9]]);
  // The response phases see what the request phases left: rules 4 and 5 match, 9 stays removed.
  there.setResponse({ status: 200, headers: [['Content-Type', 'text/html']] });
  const ids = [...evaluate(rs, there, 3).matches, ...evaluate(rs, there, 4).matches].map((m) => m.ruleId);
  assert.deepEqual(ids, [5, 4]);
});

test('the body is not parsed again, and its arguments are not carried (the query and headers are rebuilt)', () => {
  const rs = loadRuleString(RULES);
  const here = new Transaction(input('q=an attack here'), 'r2');
  evaluate(rs, here, 1);
  evaluate(rs, here, 2);
  const state = snapshotTransaction(here);
  assert.equal(state.collections.some(([name]) => name === 'ARGS' || name === 'ARGS_POST'), false);
  const there = restoreTransaction(input('q=an attack here'), 'r2', state);
  assert.equal(there.bodyProcessed, true);
  there.processRequestBody();
  assert.equal(there.collection('ARGS_POST').size, 0);
  assert.equal(there.collection('ARGS').first('page'), '2');
  assert.equal(there.collection('REQUEST_HEADERS').first('host'), 'x');
  assert.equal(there.input.body, undefined);
  assert.equal(there.scalars.get('REQUEST_BODY_LENGTH'), String('q=an attack here'.length));
});
