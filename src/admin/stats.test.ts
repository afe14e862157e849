import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveStats } from './stats.js';

test('request rate, latency percentiles, rejections and offenders from request ends', () => {
  let now = 1_700_000_000_000;
  const stats = new LiveStats({ now: () => now });
  for (let i = 0; i < 100; i++) stats.request({ durationS: i < 90 ? 0.002 : 0.5, decision: 'allowed', stage: undefined, code: undefined, client: '10.0.0.1' });
  for (let i = 0; i < 5; i++) stats.request({ durationS: 0.001, decision: 'rejected', stage: 'authn', code: 'PCL_AUTHN_INVALID', client: '203.0.113.9' });
  now += 1000;
  stats.request({ durationS: 0.001, decision: 'rejected', stage: 'rate-limit', code: 'PCL_RATE_LIMITED', client: '203.0.113.9' });
  stats.event({ kind: 'authn.failure', reason: 'bad_signature', client: '203.0.113.9', severity: 'medium' });
  stats.event({ kind: 'admin.read', reason: 'status', client: '127.0.0.1', severity: 'info' });
  const s = stats.snapshot(10);
  assert.equal(s.totals.requests, 106);
  assert.equal(s.totals.rejected, 6);
  assert.equal(s.totals.events, 1, 'admin reads are not counted as events');
  assert.equal(s.series.t.length, 10);
  assert.deepEqual(s.series.requests.slice(-2), [105, 1]);
  const p = s.lastMinute.latencyMs!;
  assert.ok(p.p50 >= 1 && p.p50 <= 2.5, `p50 ${p.p50}`);
  assert.ok(p.p99 >= 500 && p.p99 <= 600, `p99 ${p.p99}`);
  assert.deepEqual(s.rejections, [{ stage: 'authn', code: 'PCL_AUTHN_INVALID', count: 5 }, { stage: 'rate-limit', code: 'PCL_RATE_LIMITED', count: 1 }]);
  assert.deepEqual(s.events, [{ kind: 'authn.failure', reason: 'bad_signature', count: 1 }]);
  assert.deepEqual(s.topClients, [{ key: '203.0.113.9', count: 6, error: 0 }]);
});

test('old seconds fall out of the window; memory stays fixed under many distinct groups', () => {
  let now = 1_700_000_000_000;
  const stats = new LiveStats({ now: () => now });
  stats.request({ durationS: 0.01, decision: 'allowed', stage: undefined, code: undefined, client: 'a' });
  now += 400_000;
  assert.equal(stats.snapshot(300).series.requests.reduce((a, b) => a + b, 0), 0);
  assert.equal(stats.snapshot().lastMinute.latencyMs, null);
  for (let i = 0; i < 5000; i++) stats.event({ kind: `k${i}`, reason: 'r', client: 'c', severity: 'low' });
  assert.ok(stats.snapshot().events.length <= 513);
});
