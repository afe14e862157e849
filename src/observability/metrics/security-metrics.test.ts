import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { publishSecurityEvent, type SecurityEventInput } from '../channels.js';
import { securityLabels, subscribeSecurityMetrics } from './security-metrics.js';

const event = (kind: string, reason: string): SecurityEventInput => ({ kind, reason, requestId: 'r', api: 'a', operationId: undefined, client: '127.0.0.1', severity: 'medium' });

test('events are counted by kind and reason', async (t) => {
  const registry = new Registry();
  t.after(subscribeSecurityMetrics(registry));
  publishSecurityEvent(() => event('authn.failure', 'expired'));
  publishSecurityEvent(() => event('authn.failure', 'expired'));
  publishSecurityEvent(() => event('authn.success', 'jwt'));
  const text = await registry.metrics();
  assert.match(text, /^portcullis_security_events_total\{kind="authn\.failure",reason="expired"\} 2$/m);
  assert.match(text, /^portcullis_security_events_total\{kind="authn\.success",reason="jwt"\} 1$/m);
});

test('attack: unknown kinds and reasons are clamped to "other" so labels stay bounded', async (t) => {
  const registry = new Registry();
  t.after(subscribeSecurityMetrics(registry));
  for (let i = 0; i < 50; i++) publishSecurityEvent(() => event('authn.failure', `attacker-controlled-${i}`));
  publishSecurityEvent(() => event('__proto__', 'constructor'));
  publishSecurityEvent(() => event('authn.success', 'expired')); // a failure reason is not a success reason
  const text = await registry.metrics();
  const series = text.split('\n').filter((l) => l.startsWith('portcullis_security_events_total{'));
  assert.deepEqual(series.sort(), [
    'portcullis_security_events_total{kind="authn.failure",reason="other"} 50',
    'portcullis_security_events_total{kind="authn.success",reason="other"} 1',
    'portcullis_security_events_total{kind="other",reason="other"} 1',
  ]);
  assert.deepEqual(securityLabels({ kind: 'toString', reason: 'x' }), { kind: 'other', reason: 'other' });
});

test('unsubscribing removes the counter', async () => {
  const registry = new Registry();
  subscribeSecurityMetrics(registry)();
  publishSecurityEvent(() => event('authn.failure', 'expired'));
  assert.doesNotMatch(await registry.metrics(), /security_events_total/);
});
