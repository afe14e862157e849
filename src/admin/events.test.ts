import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SecurityEventMessage } from '../observability/channels.js';
import { EventRing } from './events.js';

const ev = (i: number, over: Partial<SecurityEventMessage> = {}): SecurityEventMessage => ({
  kind: i % 2 === 0 ? 'authn.failure' : 'ratelimit.exceeded', reason: 'r', requestId: `id${i}`, api: 'books',
  operationId: 'listBooks', client: `10.0.0.${i % 4}`, severity: i % 3 === 0 ? 'high' : 'low', time: '2026-11-27T00:00:00.000Z', ...over,
});

test('a burst of 100,000 events keeps only the newest `capacity`', () => {
  const ring = new EventRing(500);
  for (let i = 0; i < 100_000; i++) ring.push(ev(i));
  const all = ring.query({ limit: 10_000 });
  assert.equal(all.length, 500);
  assert.equal(all[0]!.requestId, 'id99999');
  assert.equal(all[499]!.requestId, 'id99500');
});

test('filters by kind (exact or prefix*), minimum severity, client, api and after', () => {
  const ring = new EventRing(100);
  for (let i = 0; i < 20; i++) ring.push(ev(i));
  assert.ok(ring.query({ kind: 'authn*' }).every((e) => e.kind === 'authn.failure'));
  assert.equal(ring.query({ kind: 'authn' }).length, 0);
  assert.ok(ring.query({ severity: 'medium' }).every((e) => e.severity === 'high'));
  assert.ok(ring.query({ client: '10.0.0.1' }).every((e) => e.client === '10.0.0.1'));
  assert.equal(ring.query({ api: 'other' }).length, 0);
  assert.deepEqual(ring.query({ after: 18 }).map((e) => e.id), [20, 19]);
  assert.equal(ring.query({ limit: 3 }).length, 3);
});

test('successful admin reads are not kept; long fields are cut', () => {
  const ring = new EventRing(10);
  ring.push(ev(1, { kind: 'admin.read' }));
  ring.push(ev(2, { excerpt: 'x'.repeat(10_000), reason: 'y'.repeat(1000) }));
  const [e] = ring.query();
  assert.equal(ring.query().length, 1);
  assert.equal(e!.excerpt!.length, 300);
  assert.equal(e!.reason.length, 128);
});
