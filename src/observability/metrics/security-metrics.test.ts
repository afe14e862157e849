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

test('per API, operation and client class; per-client values never become labels', async (t) => {
  const registry = new Registry();
  t.after(subscribeSecurityMetrics(registry));
  for (let i = 0; i < 2000; i++) {
    publishSecurityEvent(() => ({
      kind: 'validation.failed', reason: 'body', requestId: `req-${i}`, api: 'books', operationId: 'createBook',
      client: `10.${i >> 8}.${i & 255}.1`, ...(i % 2 === 0 ? { principal: `user-${i}` } : {}), severity: 'low', excerpt: `/body/x${i}`,
    }));
  }
  const text = await registry.metrics();
  assert.match(text, /^portcullis_security_events_by_operation_total\{kind="validation\.failed",api="books",operation="createBook",client_class="authenticated"\} 1000$/m);
  assert.match(text, /^portcullis_security_events_by_operation_total\{kind="validation\.failed",api="books",operation="createBook",client_class="anonymous"\} 1000$/m);
  assert.match(text, /^portcullis_security_events_total\{kind="validation\.failed",reason="body"\} 2000$/m);
  assert.doesNotMatch(text, /req-\d|user-\d|10\.\d+\.\d+\.1|\/body\/x/);
  const series = text.split('\n').filter((l) => /^portcullis_security_events/.test(l));
  assert.equal(series.length, 3);
});

test('attack: reasons of kinds outside the table are capped per kind, kinds are capped too', async (t) => {
  const registry = new Registry();
  t.after(subscribeSecurityMetrics(registry));
  for (let i = 0; i < 500; i++) publishSecurityEvent(() => event('waf.block', `rule-${i}`));
  for (let i = 0; i < 200; i++) publishSecurityEvent(() => event(`x${i}.y`, 'r'));
  const series = (await registry.metrics()).split('\n').filter((l) => l.startsWith('portcullis_security_events_total{'));
  assert.ok(series.filter((l) => l.includes('kind="waf.block"')).length <= 33);
  assert.match(series.join('\n'), /kind="waf\.block",reason="other"\} 468/);
  assert.ok(series.length <= 33 + 64 + 1, `${series.length} series`);
});
