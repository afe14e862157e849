import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { AnomalySchema } from './schema.js';

test('defaults: shadow mode for every detector, fail-open, principal then API key then address', () => {
  const v = Value.Default(AnomalySchema, {}) as { onError: string; identity: string[][]; window: string; detectors: Record<string, { action: string; enabled: boolean }> };
  assert.ok(Value.Check(AnomalySchema, v));
  assert.equal(v.onError, 'fail-open');
  assert.deepEqual(v.identity, [['principal'], ['apiKey'], ['ip']]);
  assert.equal(v.window, '1m');
  assert.deepEqual(Object.keys(v.detectors).sort(), ['credentialSharing', 'enumeration', 'exfiltration', 'probing', 'unusualHour', 'unusualMethod']);
  for (const d of Object.values(v.detectors)) assert.deepEqual([d.action, d.enabled], ['event', true]);
});

test('unknown keys, unknown actions, bad durations, pointers and key parts are refused', () => {
  const check = (raw: unknown) => Value.Check(AnomalySchema, Value.Default(AnomalySchema, structuredClone(raw)));
  assert.equal(check({ detectors: { probing: { action: 'ban' } } }), false);
  assert.equal(check({ detectors: { exfiltation: {} } }), false);
  assert.equal(check({ window: '1 minute' }), false);
  assert.equal(check({ records: { pointer: 'items' } }), false, 'a JSON pointer starts with /');
  assert.equal(check({ identity: [['nobody']] }), false);
  assert.equal(check({ identity: [] }), false);
  assert.equal(check({ detectors: { credentialSharing: { maxNetworks: 0 } } }), false);
  assert.equal(check({ identity: [['header:x-tenant', 'principal'], ['ja4', 'ip']], records: { pointer: '' }, detectors: { probing: { action: 'block', duration: '10m' } } }), true);
});
