import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import { RedisStore } from '../store/redis.js';
import { EgressBudget } from './rate.js';

describe('egress budgets', () => {
  test('a budget allows its requests, then refuses with a Retry-After of at least a second; integrations do not share', async () => {
    const store = new MemoryStore({ maxKeys: 1000 });
    const rates = new EgressBudget('rates', 2, 60_000, store);
    const other = new EgressBudget('other', 1, 60_000, store);
    assert.deepEqual([(await rates.take()).allowed, (await rates.take()).allowed], [true, true]);
    const refused = await rates.take();
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds >= 1);
    assert.equal((await other.take()).allowed, true, 'another integration has its own budget');
    await store.close();
  });

  test('two budgets of one integration on one store (a reload, another compile) draw from one count', async () => {
    const store = new MemoryStore({ maxKeys: 1000 });
    assert.equal((await new EgressBudget('rates', 1, 60_000, store).take()).allowed, true);
    assert.equal((await new EgressBudget('rates', 1, 60_000, store).take()).allowed, false);
    await store.close();
  });

  test('a store that fails: the budget is kept in the process instead (still bounded, not refused outright)', async () => {
    const dead = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'pcl-test:egress-budget:', commandTimeoutMs: 300 });
    try {
      const budget = new EgressBudget('rates', 2, 60_000, dead);
      const verdicts = [await budget.take(), await budget.take(), await budget.take()];
      assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, false]);
    } finally {
      await dead.close();
    }
  });
});
