import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreBreaker, StoreUnavailableError } from './breaker.js';

test('the first failure opens the breaker; then commands fail at once without running', async () => {
  const changes: boolean[] = [];
  const b = new StoreBreaker({ probe: () => Promise.reject(new Error('down')), probeIntervalMs: 10_000, onChange: (o) => changes.push(o) });
  assert.equal(await b.run(async () => 1), 1);
  await assert.rejects(b.run(() => Promise.reject(new Error('Command timed out'))), /timed out/);
  assert.equal(b.open, true);
  let ran = false;
  await assert.rejects(b.run(async () => { ran = true; }), StoreUnavailableError);
  assert.equal(ran, false, 'an open breaker never sends the command');
  assert.deepEqual(changes, [true]);
  b.stop();
});

test('an error the store answered with (isHealthy) does not open it', async () => {
  const b = new StoreBreaker({ probe: async () => 'PONG', isHealthy: (e) => (e as Error).message.startsWith('WRONGTYPE') });
  await assert.rejects(b.run(() => Promise.reject(new Error('WRONGTYPE'))));
  assert.equal(b.open, false);
  b.stop();
});

test('an open breaker probes and closes by itself once the probe succeeds', async () => {
  let up = false;
  let probes = 0;
  const changes: boolean[] = [];
  const b = new StoreBreaker({ probe: async () => { probes++; if (!up) throw new Error('down'); }, probeIntervalMs: 5, onChange: (o) => changes.push(o) });
  b.trip();
  for (let i = 0; i < 400 && probes < 2; i++) await sleep(5);
  assert.equal(b.open, true);
  assert.ok(probes >= 2, 'a failed probe is repeated');
  up = true;
  for (let i = 0; i < 400 && b.open; i++) await sleep(5);
  assert.equal(b.open, false);
  assert.equal(await b.run(async () => 'ok'), 'ok');
  assert.deepEqual(changes, [true, false]);
  const before = probes;
  await sleep(20);
  assert.equal(probes, before, 'a closed breaker does not probe');
  b.stop();
});

test('a stopped breaker never opens again (a store closing its connection)', async () => {
  const b = new StoreBreaker({ probe: async () => {} });
  b.stop();
  b.trip();
  assert.equal(b.open, false);
});
