import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OverloadMonitor, type OverloadReading } from './overload.js';

const cfg = { enabled: true, eventLoopDelayMs: 10_000, heapUsedRatio: 1, maxInFlight: 0, checkIntervalMs: 1000, retryAfterSeconds: 7 };

test('heap past its threshold sheds; back under it stops, each change reported once', () => {
  const changes: OverloadReading[] = [];
  const low = new OverloadMonitor({ ...cfg, heapUsedRatio: 1e-9 }, (r) => changes.push(r));
  assert.equal(low.check().shedding, true);
  assert.equal(low.shedding, true);
  low.check();
  assert.equal(changes.length, 1);
  assert.ok(changes[0]!.heapUsedRatio > 1e-9);
  assert.deepEqual(low.retryAfter, { 'retry-after': '7' });
  low.stop();
  assert.equal(low.shedding, false);
  const high = new OverloadMonitor(cfg);
  assert.equal(high.check().shedding, false);
});

test('a blocked event loop sheds; a free one recovers', async () => {
  // No timer-driven check in between: it would reset the histogram the test reads.
  const m = new OverloadMonitor({ ...cfg, eventLoopDelayMs: 20, checkIntervalMs: 600_000 });
  m.start();
  try {
    await new Promise((r) => setTimeout(r, 50));
    const until = performance.now() + 300;
    while (performance.now() < until) { /* blocked */ }
    // The histogram's sampling timer records the stall on the next timers phase (a setImmediate would run first).
    await new Promise((r) => setTimeout(r, 30));
    const blocked = m.check();
    assert.equal(blocked.shedding, true, `delay read ${blocked.eventLoopDelayMs} ms`);
    // A free loop for a while: every sample is near the resolution again.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(m.check().shedding, false);
  } finally {
    m.stop();
  }
});

test('disabled: start() measures nothing and never sheds', () => {
  const m = new OverloadMonitor({ ...cfg, enabled: false, maxInFlight: 1 });
  m.start();
  assert.equal(m.shedding, false);
  assert.equal(m.enter(), false);
  assert.equal(m.enter(), false, 'maxInFlight is part of the protection that is off');
  m.stop();
});

test('maxInFlight: the request past the limit is shed at once; one leaving admits the next', () => {
  const m = new OverloadMonitor({ ...cfg, maxInFlight: 2 });
  assert.equal(m.enter(), false);
  assert.equal(m.enter(), false);
  assert.equal(m.enter(), true, 'the third of two allowed');
  assert.equal(m.enter(), true, 'a burst past the limit: every one shed');
  assert.equal(m.inFlight, 2, 'shed requests are not counted (their 503 is written at once)');
  m.leave(); // an admitted one finishes
  assert.equal(m.enter(), false);
  assert.equal(m.inFlight, 2);
  const unlimited = new OverloadMonitor(cfg);
  for (let i = 0; i < 10_000; i++) assert.equal(unlimited.enter(), false);
});

test('timed shedding refuses even under maxInFlight, and a shed request is not counted', () => {
  const m = new OverloadMonitor({ ...cfg, heapUsedRatio: 1e-9, maxInFlight: 100 });
  m.check();
  assert.equal(m.enter(), true);
  assert.equal(m.inFlight, 0);
});
