import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate } from './engine.js';
import { Transaction, type ResponseInput } from './transaction.js';
import { withoutBodyRules } from './response-view.js';
import type { RuleSet } from './rules/ruleset.js';

const RESPONSE: ResponseInput = { status: 500, headers: [['Content-Type', 'text/html'], ['X-Debug', 'stack trace']] };

/** Phases 3-4 over a bodiless response: matched rule ids, the interruption, TX. */
function outcome(rs: RuleSet, phases: RuleSet, response: ResponseInput = RESPONSE): { ids: number[]; interrupted: number | undefined; tx: string[] } {
  const tx = new Transaction({ method: 'GET', uri: '/?q=1', headers: [['Host', 'api.test']] }, 'req-1');
  for (const p of [1, 2]) evaluate(rs, tx, p);
  tx.setResponse(response);
  const ids: number[] = [];
  let interrupted: number | undefined;
  for (const p of [3, 4]) {
    const r = evaluate(phases, tx, p);
    ids.push(...r.matches.map((m) => m.ruleId));
    if (r.interrupted) { interrupted = r.interrupted.ruleId; break; }
  }
  return { ids, interrupted, tx: tx.tx.all().map((e) => `${e.key}=${e.value}`) };
}

const ids = (rs: RuleSet, phase: number): number[] => rs.phase(phase).filter((r) => r.kind !== 'SecMarker').map((r) => r.id);

test('only rules that read nothing but the body leave; counts, mixed targets, markers and other phases stay', () => {
  const rs = loadRuleString(`SecRuleEngine On
SecRule RESPONSE_BODY "@rx secret" "id:10,phase:4,deny,log"
SecRule RESPONSE_BODY|RESPONSE_CONTENT_LENGTH "@rx ." "id:11,phase:4,deny,log"
SecRule &RESPONSE_BODY "@eq 0" "id:20,phase:4,pass,log,setvar:tx.no_body=1"
SecRule RESPONSE_BODY|RESPONSE_HEADERS "@rx stack trace" "id:21,phase:4,pass,log,setvar:tx.leak=1"
SecRule RESPONSE_STATUS "@rx ^5" "id:22,phase:3,pass,log,setvar:tx.error=1"
SecRule RESPONSE_BODY "@rx x" "id:23,phase:2,pass,log"
SecMarker END-BODY
SecRule TX:leak "@eq 1" "id:24,phase:4,deny,log"`);
  const view = withoutBodyRules(rs);
  assert.deepEqual(ids(view, 4), [20, 21, 24]);
  assert.deepEqual(ids(view, 3), [22]);
  assert.equal(view.phase(2), rs.phase(2), 'the request phases keep their arrays (and compiled plans)');
  assert.ok(view.phase(4).some((r) => r.marker === 'END-BODY'));
  assert.equal(withoutBodyRules(rs), view, 'built once per rule set');
  // `&RESPONSE_BODY` counts 0 without a body and matches; the mixed rule matches on a header.
  const full = outcome(rs, rs);
  assert.deepEqual(full, { ids: [22, 20, 21, 24], interrupted: 24, tx: ['error=1', 'no_body=1', 'leak=1'] });
  assert.deepEqual(outcome(rs, view), full);
});

test('a rule set that can write a body-only variable itself keeps every rule', () => {
  // setvar accepts any collection name: RESPONSE_BODY then reads what the rule wrote.
  const rs = loadRuleString(`SecRuleEngine On
SecRule REQUEST_HEADERS:Host "@rx ." "id:1,phase:1,pass,nolog,chain"
  SecRule REQUEST_METHOD "@rx ." "setvar:response_body.planted=secret"
SecRule RESPONSE_BODY "@rx secret" "id:10,phase:4,deny,log"`);
  assert.equal(withoutBodyRules(rs), rs);
  assert.deepEqual(outcome(rs, withoutBodyRules(rs)), { ids: [10], interrupted: 10, tx: [] });
});

test('a response phase with a skip:N keeps all its rules (N counts them)', () => {
  const rs = loadRuleString(`SecRuleEngine On
SecRule RESPONSE_STATUS "@rx ^5" "id:1,phase:4,pass,nolog,skip:1"
SecRule RESPONSE_BODY "@rx x" "id:2,phase:4,pass,log"
SecRule RESPONSE_STATUS "@rx ." "id:3,phase:4,deny,log"
SecRule RESPONSE_BODY "@rx x" "id:4,phase:3,pass,log"`);
  const view = withoutBodyRules(rs);
  assert.deepEqual(ids(view, 4), [1, 2, 3]);
  assert.deepEqual(ids(view, 3), []);
  // Removing 2 would make the skip jump over 3, which denies.
  assert.deepEqual(outcome(rs, view), { ids: [3], interrupted: 3, tx: [] });
});
