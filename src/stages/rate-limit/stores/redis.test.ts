import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisStore } from '../../../store/redis.js';
import { RedisRateLimitStore } from './redis.js';
import { rateLimitStoreContract } from './store.contract.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `pcl-test:${randomUUID()}:`;
const kv = new RedisStore({ url, keyPrefix: prefix });
after(async () => {
  // Contract windows are long (a year): remove this run's keys rather than leave them to expire.
  const keys = await kv.client.keys(`{${prefix}*`);
  if (keys.length > 0) await kv.client.del(...keys);
  await kv.close();
});

rateLimitStoreContract('redis', () => new RedisRateLimitStore(kv.client, prefix), (ms) => sleep(ms));

test('keys are hash-tagged by client so a request\'s keys share one cluster slot', async () => {
  const store = new RedisRateLimitStore(kv.client, prefix);
  const scope = `ip:${randomUUID()}`;
  await store.check({ scope, limits: [{ id: 'a', rule: { algorithm: 'fixed-window', limit: 5, windowMs: 60_000, burst: 5 }, cost: 1 }] });
  const keys = await kv.client.keys(`{${prefix}rl:${scope}}:*`);
  assert.deepEqual(keys, [`{${prefix}rl:${scope}}:a`]);
  assert.ok(Number(await kv.client.pttl(keys[0]!)) > 0, 'state expires');
});

test('an unreachable Redis makes check reject (the stage applies its failure policy)', async () => {
  const dead = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, commandTimeoutMs: 300 });
  try {
    const store = new RedisRateLimitStore(dead.client, prefix);
    await assert.rejects(store.check({ scope: 'x', limits: [{ id: 'a', rule: { algorithm: 'gcra', limit: 5, windowMs: 1000, burst: 1 }, cost: 1 }] }));
  } finally {
    await dead.close();
  }
});

// The checks of one loop turn share one script call; each must still see the ones before it.
describe('checks issued together go to Redis as one script call', () => {
  const counted = () => {
    const calls = { n: 0 };
    const store = new RedisRateLimitStore(kv.client, prefix, { run: (c) => { calls.n++; return c(); } });
    return { calls, store };
  };
  const fixed = (limit: number) => ({ algorithm: 'fixed-window' as const, limit, windowMs: 3_600_000, burst: limit });

  test('12 concurrent checks of a limit of 7: one call, remaining 6..0 in order, then 5 denials with a retry time', async () => {
    const { calls, store } = counted();
    const req = { scope: `b-${randomUUID()}`, limits: [{ id: 'a', rule: fixed(7), cost: 1 }] };
    const results = await Promise.all(Array.from({ length: 12 }, () => store.check(req)));
    assert.equal(calls.n, 1);
    assert.deepEqual(results.map((r) => r.allowed), [...Array(7).fill(true), ...Array(5).fill(false)]);
    assert.deepEqual(results.slice(0, 7).map((r) => r.decisions[0]!.remaining), [6, 5, 4, 3, 2, 1, 0]);
    for (const r of results.slice(7)) {
      assert.equal(r.decisions[0]!.remaining, 0);
      assert.ok(r.decisions[0]!.retryAfterMs > 0 && r.decisions[0]!.retryAfterMs <= 3_600_000);
    }
  });

  test('a batch mixes scopes, limit counts and a penalty block; each check gets its own verdict', async () => {
    const { calls, store } = counted();
    const penalty = { id: 'pen', rule: { allowStrikes: 0, ladderMs: [60_000], decayMs: 60_000 } };
    const blocked = { scope: `p-${randomUUID()}`, limits: [{ id: 'a', rule: fixed(1), cost: 1 }], penalty };
    await store.check(blocked);
    assert.equal((await store.check(blocked)).penalty?.blocked, true, 'the second request starts a block');
    const other = { scope: `o-${randomUUID()}`, limits: [{ id: 'a', rule: fixed(5), cost: 2 }, { id: 'b', rule: fixed(9), cost: 1 }] };
    const before = calls.n;
    const [x, y, z] = await Promise.all([store.check(other), store.check(blocked), store.check(other)]);
    assert.equal(calls.n, before + 1);
    assert.deepEqual(x, { allowed: true, decisions: [{ allowed: true, remaining: 3, resetMs: x.decisions[0]!.resetMs, retryAfterMs: 0 }, { allowed: true, remaining: 8, resetMs: x.decisions[1]!.resetMs, retryAfterMs: 0 }] });
    assert.equal(y.allowed, false);
    assert.deepEqual(y.decisions, [], 'blocked before its limits were read');
    assert.equal(y.penalty?.blocked, true);
    assert.ok(y.penalty!.retryAfterMs > 0 && y.penalty!.retryAfterMs <= 60_000);
    assert.deepEqual(z.decisions.map((d) => d.remaining), [1, 7], 'the check after a blocked one reads its own fields');
  });

  test('more checks than one call takes are split, and the count stays exact', async () => {
    const { calls, store } = counted();
    const req = { scope: `m-${randomUUID()}`, limits: [{ id: 'a', rule: fixed(100), cost: 1 }] };
    const results = await Promise.all(Array.from({ length: 150 }, () => store.check(req)));
    assert.equal(results.filter((r) => r.allowed).length, 100);
    assert.ok(calls.n >= 3, `${calls.n} calls`);
  });

  test('every check of a failed call rejects', async () => {
    const dead = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, commandTimeoutMs: 300 });
    try {
      const store = new RedisRateLimitStore(dead.client, prefix);
      const req = { scope: 'x', limits: [{ id: 'a', rule: fixed(5), cost: 1 }] };
      const settled = await Promise.allSettled([store.check(req), store.check(req), store.check(req)]);
      assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
    } finally {
      await dead.close();
    }
  });

  test('a call that reaches Redis after its deadline rejects and spends nothing', async () => {
    const late = new RedisRateLimitStore(kv.client, prefix, { deadline: () => 1 });
    const scope = `d-${randomUUID()}`;
    const req = { scope, limits: [{ id: 'a', rule: fixed(5), cost: 1 }] };
    await assert.rejects(late.check(req), /deadline/);
    assert.equal(await kv.client.exists(`{${prefix}rl:${scope}}:a`), 0);
  });

  test('state expires with its window: the key is gone after it and the next request starts afresh', async () => {
    const store = new RedisRateLimitStore(kv.client, prefix);
    const scope = `e-${randomUUID()}`;
    const rule = { algorithm: 'sliding-window' as const, limit: 2, windowMs: 150, burst: 2 };
    const req = { scope, limits: [{ id: 'a', rule, cost: 1 }] };
    await store.check(req);
    const ttl = Number(await kv.client.pttl(`{${prefix}rl:${scope}}:a`));
    // A sliding window needs the previous window's count: its state lives up to two windows.
    assert.ok(ttl > 0 && ttl <= 301, `pttl ${ttl}`);
    await sleep(ttl + 20);
    assert.equal(await kv.client.exists(`{${prefix}rl:${scope}}:a`), 0);
    assert.equal((await store.check(req)).decisions[0]!.remaining, 1);
  });
});
