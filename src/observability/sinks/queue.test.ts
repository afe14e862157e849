import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../../test/helpers/siem.js';
import { DeliveryQueue, type DeliveryQueueOptions } from './queue.js';

const opts = <T>(send: (b: readonly T[]) => Promise<void>, over: Partial<DeliveryQueueOptions<T>> = {}): DeliveryQueueOptions<T> => ({
  send, queueLimit: 1000, batchSize: 10, flushIntervalMs: 5, maxRetries: 3, backoffMs: 1, maxBackoffMs: 5, timeoutMs: 1000, ...over,
});

test('delivers in batches of at most batchSize, in order', async () => {
  const got: number[][] = [];
  const q = new DeliveryQueue<number>(opts(async (b) => { got.push([...b]); }));
  for (let i = 0; i < 25; i++) q.offer(i);
  await waitFor(() => q.stats.sent === 25);
  assert.ok(got.every((b) => b.length <= 10));
  assert.deepEqual(got.flat(), Array.from({ length: 25 }, (_, i) => i));
  await q.close();
});

test('a failing batch is retried with backoff, then succeeds', async () => {
  let calls = 0;
  const q = new DeliveryQueue<number>(opts(async () => { calls++; if (calls < 3) throw new Error('down'); }));
  q.offer(1);
  await waitFor(() => q.stats.sent === 1);
  assert.equal(q.stats.retries, 2);
  assert.equal(q.stats.droppedFailed, 0);
  await q.close();
});

test('a receiver that is down: the batch is dropped and counted after maxRetries', async () => {
  let calls = 0;
  const q = new DeliveryQueue<number>(opts(async () => { calls++; throw new Error('ECONNREFUSED'); }, { maxRetries: 2 }));
  q.offer(1); q.offer(2);
  await waitFor(() => q.stats.droppedFailed === 2);
  assert.equal(calls, 3);
  assert.equal(q.stats.sent, 0);
  await q.close();
});

test('a receiver that hangs: each attempt times out, the reset hook runs, the batch is dropped', async () => {
  let resets = 0;
  const q = new DeliveryQueue<number>(opts(() => new Promise<void>(() => {}), { timeoutMs: 20, maxRetries: 1, onTimeout: () => { resets++; } }));
  q.offer(1);
  await waitFor(() => q.stats.droppedFailed === 1);
  assert.equal(resets, 2);
  await q.close(10);
});

test('attack: a burst of 100,000 events into a stuck sink keeps at most queueLimit in memory and counts the rest', async () => {
  const q = new DeliveryQueue<{ i: number }>(opts(() => new Promise<void>(() => {}), { queueLimit: 5000, timeoutMs: 60_000, batchSize: 100 }));
  let accepted = 0;
  for (let i = 0; i < 100_000; i++) if (q.offer({ i })) accepted++;
  const s = q.stats;
  assert.ok(s.queued <= 5000, `queued ${s.queued}`);
  assert.equal(accepted, 5000);
  assert.equal(s.droppedOverflow, 95_000);
  await q.close(10);
  assert.equal(q.stats.queued, 0);
});

test('close delivers what is queued, and offers after close are dropped', async () => {
  const got: number[] = [];
  const q = new DeliveryQueue<number>(opts(async (b) => { got.push(...b); }, { flushIntervalMs: 10_000 }));
  q.offer(1); q.offer(2);
  await q.close(1000);
  assert.deepEqual(got, [1, 2]);
  assert.equal(q.offer(3), false);
});
