import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import type { SecurityEventMessage } from '../channels.js';
import { AlertRule } from './engine.js';
import { prefixOf } from './group-key.js';
import { AlertRuleSchema, type AlertRuleConfig } from './schema.js';
import { WindowCounter } from './window.js';

const rule = (over: Partial<AlertRuleConfig>): AlertRule => new AlertRule(Value.Default(AlertRuleSchema, {
  name: 'brute', kinds: ['authn.failure'], threshold: 20, windowSeconds: 60, groupBy: ['client/24'], cooldownSeconds: 300, notify: ['ops'], ...over,
}) as AlertRuleConfig);
const ev = (client: string, over: Partial<SecurityEventMessage> = {}): SecurityEventMessage => ({
  kind: 'authn.failure', reason: 'bad_secret', requestId: 'r', api: 'books', operationId: 'login', client, severity: 'medium', time: '', ...over,
});

test('more than 20 failures from one /24 in a minute fires once, then stays quiet during the cooldown', () => {
  const r = rule({});
  let t = 1_000_000;
  const fired = [];
  for (let i = 0; i < 21; i++) { const a = r.observe(ev(`203.0.113.${i}`), t += 100); if (a) fired.push(a); }
  assert.equal(fired.length, 1);
  assert.deepEqual(fired[0]!.group, { 'client/24': '203.0.113.0/24' });
  assert.equal(fired[0]!.count, 21);
  for (let i = 0; i < 100; i++) assert.equal(r.observe(ev('203.0.113.9'), t += 100), undefined, 'deduplicated within the cooldown');
  // After the cooldown, a group still over the threshold fires again and reports what was suppressed.
  t += 300_000;
  for (let i = 0; i < 20; i++) assert.equal(r.observe(ev('203.0.113.9'), t += 10), undefined);
  const again = r.observe(ev('203.0.113.9'), t += 10);
  assert.equal(again?.suppressed, 100);
});

test('exactly the threshold does not fire; other groups, kinds and filtered events are counted apart', () => {
  const r = rule({ where: { reason: ['bad_secret'] } });
  let t = 0;
  for (let i = 0; i < 20; i++) assert.equal(r.observe(ev('198.51.100.1'), t += 1), undefined);
  const other = Array.from({ length: 30 }, () => r.observe(ev('198.51.101.1'), t += 1));
  assert.deepEqual(other.map((a, i) => (a === undefined ? -1 : i)).filter((i) => i >= 0), [20]);
  assert.equal(r.observe(ev('198.51.100.1', { kind: 'authn.success' }), t += 1), undefined);
  assert.equal(r.observe(ev('198.51.100.1', { reason: 'expired' }), t += 1), undefined);
  assert.notEqual(r.observe(ev('198.51.100.1'), t += 1), undefined);
});

test('events older than the window stop counting', () => {
  const r = rule({ threshold: 3, windowSeconds: 10 });
  let t = 0;
  for (let i = 0; i < 3; i++) r.observe(ev('192.0.2.1'), t += 1000);
  t += 20_000;
  assert.equal(r.observe(ev('192.0.2.1'), t), undefined);
  const w = new WindowCounter(10_000);
  assert.equal(w.add(0), 1);
  assert.equal(w.add(5_000), 2);
  assert.equal(w.add(10_500), 2);
  assert.equal(w.add(30_000), 1);
});

test('attack: a client rotating addresses cannot grow the group table beyond maxGroups', () => {
  const r = rule({ groupBy: ['client'], maxGroups: 100 });
  for (let i = 0; i < 10_000; i++) r.observe(ev(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`), i);
  assert.equal(r.groupCount, 100);
  assert.equal(r.evicted, 9_900);
});

test('address prefixes for IPv4 and IPv6', () => {
  assert.equal(prefixOf('203.0.113.77', 24), '203.0.113.0/24');
  assert.equal(prefixOf('203.0.113.77', 16), '203.0.0.0/16');
  assert.equal(prefixOf('203.0.113.77', 32), '203.0.113.77/32');
  assert.equal(prefixOf('2001:db8:abcd:12::1', 48), '2001:db8:abcd:0:0:0:0:0/48');
  assert.equal(prefixOf('::ffff:192.0.2.1', 128), '0:0:0:0:0:ffff:c000:201/128');
  assert.equal(prefixOf('unknown', 24), 'unknown');
});

test('an aggregated event (overload.shed, ADR 0032) counts as its count: a flood shed in one second crosses the threshold', () => {
  const r = rule({ kinds: ['overload.shed'], threshold: 100, groupBy: ['client'] });
  const shed = (n: number) => ev('192.0.2.7', { kind: 'overload.shed', reason: 'overloaded', count: n });
  assert.equal(r.observe(shed(60), 1_000), undefined, '60 within the window');
  const a = r.observe(shed(41), 2_000);
  assert.equal(a?.count, 101);
  assert.equal(r.observe(ev('192.0.2.7', { kind: 'overload.shed', reason: 'overloaded' }), 3_000), undefined, 'no count: one event (and within the cooldown)');
});
