import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { WafSchema } from './schema.js';

test('defaults: enforce, paranoia 1, thresholds 5/4, 128 KiB inspected, no exclusions', () => {
  const d = Value.Default(WafSchema, {}) as Record<string, unknown>;
  assert.equal(d.mode, 'enforce');
  assert.equal(d.enabled, true);
  assert.equal(d.paranoiaLevel, 1);
  assert.equal(d.inboundAnomalyThreshold, 5);
  assert.equal(d.outboundAnomalyThreshold, 4);
  assert.equal(d.maxInspectBytes, 131072);
  assert.equal(d.oversize, 'block');
  assert.equal(d.customRules, '');
});

test('values written into generated SecLang cannot break out of their directive', () => {
  const ok = (v: unknown) => Value.Check(WafSchema, Value.Default(WafSchema, structuredClone(v)));
  assert.ok(ok({ exclusions: { removeById: [942100, '920300-920330'], removeByTag: ['attack-xss'], removeTargets: [{ tag: 'paranoia-level/2', target: 'ARGS:json.note' }, { ruleId: 1, target: 'REQUEST_COOKIES:/^_ga/' }] } }));
  assert.ok(!ok({ exclusions: { removeById: ['1; SecRuleEngine Off'] } }));
  assert.ok(!ok({ exclusions: { removeByTag: ['x"\nSecRuleEngine Off'] } }));
  assert.ok(!ok({ exclusions: { removeTargets: [{ ruleId: 1, target: 'ARGS:a" "id:2' }] } }));
  assert.ok(!ok({ exclusions: { removeTargets: [{ ruleId: 1, target: 'ARGS:a,!ARGS' }] } }));
  assert.ok(!ok({ paranoiaLevel: 5 }));
  assert.ok(!ok({ mode: 'detect' }));
  assert.ok(!ok({ unknown: true }));
});
