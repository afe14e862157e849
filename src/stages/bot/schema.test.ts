import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { BotSchema } from './schema.js';

test('defaults: enforce, fail-open, default ladders and signals', () => {
  const v = Value.Default(BotSchema, {}) as Record<string, unknown>;
  assert.ok(Value.Check(BotSchema, v));
  assert.equal(v.mode, 'enforce');
  assert.equal(v.onError, 'fail-open');
  assert.deepEqual((v.actions as { action: string }[]).map((s) => s.action), ['log', '429', 'block']);
});

test('unknown keys, unknown actions and bad durations are refused', () => {
  const check = (raw: unknown) => Value.Check(BotSchema, Value.Default(BotSchema, structuredClone(raw)));
  assert.equal(check({ actions: [{ at: 10, action: 'captcha' }] }), false);
  assert.equal(check({ actions: [{ at: 10, action: 'delay', delay: '2 seconds' }] }), false);
  assert.equal(check({ signals: { cadence: { maxJitter: 2 } } }), false);
  assert.equal(check({ login: { usernamePointer: 'username' } }), false, 'a JSON pointer starts with /');
  assert.equal(check({ allow: { ips: [] } }), false);
  assert.equal(check({ login: { usernamePointer: '/user/name', perIp: [{ at: 3, action: 'step-up' }] } }), true);
});
