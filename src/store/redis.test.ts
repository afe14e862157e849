import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisStore } from './redis.js';
import { storeContract } from './store.contract.js';
import { createStore } from './create.js';
import { MemoryStore } from './memory.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `pcl-test:${randomUUID()}:`;

// Redis keeps its own clock: TTL tests wait for real, with TTLs of tens of milliseconds.
storeContract('redis', () => new RedisStore({ url, keyPrefix: prefix }), { advance: (ms) => sleep(ms) });

test('keys carry the configured prefix', async () => {
  const store = new RedisStore({ url, keyPrefix: prefix });
  try {
    await store.set('prefixed', 'v', 60_000);
    assert.equal(await store.client.get(`${prefix}prefixed`), 'v');
  } finally {
    await store.client.del(`${prefix}prefixed`);
    await store.close();
  }
});

test('an unreachable Redis rejects commands instead of hanging', async () => {
  const store = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, commandTimeoutMs: 300 });
  try {
    await assert.rejects(store.increment('x', 1, 1000));
  } finally {
    await store.close();
  }
});

test('createStore picks the back-end from the config', async () => {
  const mem = createStore({ backend: 'memory', redisUrl: url, keyPrefix: 'p:', maxKeys: 1000 });
  assert.ok(mem instanceof MemoryStore);
  const red = createStore({ backend: 'redis', redisUrl: url, keyPrefix: prefix, maxKeys: 1000 });
  assert.ok(red instanceof RedisStore);
  await mem.close();
  await red.close();
});
