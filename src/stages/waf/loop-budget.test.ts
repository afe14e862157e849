import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopBudget } from './loop-budget.js';

/** A clock only jobs move: each job "costs" what it adds, whatever the machine's load. */
function fakeClock(): { now: () => number; spend: (ms: number) => void } {
  let t = 0;
  return { now: () => t, spend: (ms) => { t += ms; } };
}

/** Counts check phases (turns of the event loop) from now on. */
function turnCounter(): { readonly turn: number; stop: () => void } {
  const c = { turn: 0, stopped: false, stop: () => { c.stopped = true; } };
  const tick = (): void => { c.turn++; if (!c.stopped) setImmediate(tick); };
  setImmediate(tick);
  return c;
}

test('jobs run at once while the turn\'s budget lasts; the rest run in later turns, one budget per turn, in arrival order', async () => {
  const clock = fakeClock();
  const budget = new LoopBudget(5, clock.now);
  const turns = turnCounter();
  const ran: Array<{ job: number; turn: number }> = [];
  // Ten 2 ms inspections arriving in one turn (ten requests read together).
  const results = Array.from({ length: 10 }, (_, job) => budget.run(() => { ran.push({ job, turn: turns.turn }); clock.spend(2); return job; }));
  // 2 + 2 + 2 >= 5: the first three ran now, synchronously (their values, not promises).
  assert.deepEqual(results.slice(0, 3), [0, 1, 2]);
  assert.ok(results.slice(3).every((r) => r instanceof Promise));
  assert.equal(budget.waiting, 7);
  assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  turns.stop();
  assert.deepEqual(ran.map((r) => r.job), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'arrival order');
  // Per turn at most the budget plus one job (5 + 2 ms here: three jobs), and the deferred jobs
  // ran in turns after the one that spent the budget.
  const perTurn = new Map<number, number>();
  for (const r of ran) perTurn.set(r.turn, (perTurn.get(r.turn) ?? 0) + 1);
  assert.ok([...perTurn.values()].every((n) => n <= 3), `jobs per turn ${[...perTurn.values()].join(',')}`);
  assert.ok(ran.slice(3).every((r) => r.turn > ran[0]!.turn), 'the deferred jobs ran in later turns');
  assert.ok(perTurn.size >= 4, `ten 2 ms jobs under a 5 ms budget need at least 4 turns, got ${perTurn.size}`);
});

test('a newcomer waits behind deferred jobs even when the new turn\'s budget is unspent (no overtaking)', async () => {
  const clock = fakeClock();
  const budget = new LoopBudget(5, clock.now);
  const order: string[] = [];
  const first = budget.run(() => { order.push('a'); clock.spend(6); });
  const deferred = budget.run(() => { order.push('b'); });
  assert.ok(!(first instanceof Promise));
  assert.ok(deferred instanceof Promise);
  // Next turn: the budget is fresh, but 'b' still waits, so 'c' goes behind it.
  await new Promise((r) => setImmediate(r));
  const late = budget.run(() => { order.push('c'); });
  await Promise.all([deferred, late]);
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('a deferred job that throws rejects its promise; the queue goes on', async () => {
  const clock = fakeClock();
  const budget = new LoopBudget(1, clock.now);
  budget.run(() => clock.spend(2));
  const bad = budget.run(() => { throw new Error('engine failure'); });
  const good = budget.run(() => 'ok');
  await assert.rejects(bad as Promise<never>, /engine failure/);
  assert.equal(await good, 'ok');
});

test('budget 0 turns the scheduling off: every job runs when it arrives', () => {
  const clock = fakeClock();
  const budget = new LoopBudget(0, clock.now);
  for (let i = 0; i < 5; i++) assert.equal(budget.run(() => { clock.spend(100); return i; }), i);
});

test('with too many jobs waiting a newcomer runs at once: the budget reorders work, it does not hide overload', async () => {
  const clock = fakeClock();
  const budget = new LoopBudget(5, clock.now, 3);
  budget.run(() => clock.spend(6));
  const waiting = [1, 2, 3].map((i) => budget.run(() => i));
  assert.ok(waiting.every((r) => r instanceof Promise));
  assert.equal(budget.waiting, 3);
  // The fourth would wait behind three: it runs now, and the event loop's delay shows the backlog.
  assert.equal(budget.run(() => 'now'), 'now');
  assert.deepEqual(await Promise.all(waiting), [1, 2, 3]);
});
