import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
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
