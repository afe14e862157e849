import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisStore } from './redis.js';
import { storeContract } from './store.contract.js';
import { createStore } from './create.js';
import { MemoryStore } from './memory.js';
import { freePort, killRedis, startPrivateRedis } from '../../test/helpers/redis.js';

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

test('a Redis that stalls and resumes: an increment that timed out takes nothing; a decrement still gives back (issue 12, 4)', async () => {
  const port = await freePort();
  const redis = await startPrivateRedis(port);
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, commandTimeoutMs: 300, probeIntervalMs: 50 });
  const stalled = async (command: () => Promise<unknown>) => {
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      await assert.rejects(command(), /timed out/);
      // The deadline is the command timeout after sending; resuming right at it would be a coin toss.
      await sleep(100);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    // The command sent into the stall runs now, after its deadline; the breaker closes on the next probe.
    for (let i = 0; i < 100 && !store.available; i++) await sleep(20);
    assert.equal(store.available, true);
  };
  try {
    assert.deepEqual((await store.increment('slot', 1, 60_000)).value, 1);
    for (let i = 0; i < 100 && store.deadline() === 0; i++) await sleep(10);
    assert.ok(store.deadline() > 0, 'the clock offset to Redis is known');
    // A concurrency slot asked for during the stall: its request was answered by the failure policy and is never released.
    await stalled(() => store.increment('slot', 1, 60_000));
    assert.equal(await store.get('slot'), '1', 'the late increment took no slot');
    // A release sent into the stall gives the slot back once Redis resumes.
    await stalled(() => store.increment('slot', -1, 60_000));
    assert.equal(await store.get('slot'), '0');
  } finally {
    await store.close();
    process.kill(redis.pid!, 'SIGCONT');
    await killRedis(redis);
  }
});
