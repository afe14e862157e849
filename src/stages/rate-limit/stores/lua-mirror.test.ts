import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisStore } from '../../../store/redis.js';
import type { Algorithm, LimitRule } from '../algorithms/types.js';
import { MemoryRateLimitStore } from './memory.js';
import { RedisRateLimitStore } from './redis.js';
import type { CheckRequest, RateLimitStore } from './store.js';
import { prng } from '../../../../test/helpers/prng.js';

// The Lua script mirrors the TypeScript algorithms; with the clock pinned, both must agree
// decision for decision (allowed, remaining, reset, retry) over random request timings.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `pcl-test:${randomUUID()}:`;
const kv = new RedisStore({ url, keyPrefix: prefix });
after(async () => {
  // Contract windows are long (a year): remove this run's keys rather than leave them to expire.
  const keys = await kv.client.keys(`{${prefix}*`);
  if (keys.length > 0) await kv.client.del(...keys);
  await kv.close();
});

/**
 * The real milliseconds since the last call. Redis expires keys in real time (PX) while both
 * stores judge state by the pinned clock; the memory store expires entries by the pinned clock.
 * A key the script wrote must not vanish in Redis while the memory store still holds its twin, so
 * the pinned clock advances at least as fast as real time between steps (a slow, loaded machine
 * made the test fail otherwise). State present past its pinned expiry reads as fresh in both.
 */
function realTime(): () => number {
  let last = Date.now();
  return () => { const t = Date.now(); const d = t - last; last = t; return d; };
}

describe('Lua script = TypeScript algorithms', () => {
  const rules: [Algorithm, LimitRule][] = [
    ['token-bucket', { algorithm: 'token-bucket', limit: 5, windowMs: 1000, burst: 3 }],
    ['gcra', { algorithm: 'gcra', limit: 7, windowMs: 1000, burst: 2 }],
    ['fixed-window', { algorithm: 'fixed-window', limit: 4, windowMs: 700, burst: 4 }],
    ['sliding-window', { algorithm: 'sliding-window', limit: 6, windowMs: 900, burst: 6 }],
    ['sliding-log', { algorithm: 'sliding-log', limit: 5, windowMs: 800, burst: 5 }],
  ];
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: every algorithm, several limits per request, penalties`, async () => {
      let now = Date.UTC(2026, 0, 31, 23, 59, 50) + seed;
      const tick = realTime();
      const mem: RateLimitStore = new MemoryRateLimitStore({ now: () => now });
      const red: RateLimitStore = new RedisRateLimitStore(kv.client, prefix, { now: () => now });
      const rnd = prng(seed);
      const scope = `mirror-${randomUUID()}`;
      for (let i = 0; i < 250; i++) {
        const r = rnd();
        now += tick() + (r < 0.25 ? 0 : r < 0.85 ? Math.floor(rnd() * 90) : Math.floor(rnd() * 1500));
        const picked = rules.filter(() => rnd() < 0.6);
        const req: CheckRequest = {
          scope,
          limits: [
            ...picked.map(([name, rule]) => ({ id: name, rule, cost: 1 + Math.floor(rnd() * 2) })),
            { id: 'month', rule: { algorithm: 'fixed-window', limit: 400, windowMs: 0, burst: 400, calendar: 'month' }, cost: 1 },
          ],
          penalty: { id: 'pen', rule: { allowStrikes: 4, ladderMs: [150, 600], decayMs: 400 } },
        };
        const [a, b] = [await mem.check(req), await red.check(req)];
        assert.deepEqual(b, a, `step ${i} at ${now}`);
      }
    });
  }

  // Several requests in one loop turn share one script call: the script must evaluate them in
  // order, each seeing the state the previous one left, as the memory store does call by call.
  for (const seed of [4, 5]) {
    test(`seed ${seed}: requests issued together (one script call) agree with the memory store one by one`, async () => {
      let now = Date.UTC(2026, 0, 31, 23, 59, 55) + seed;
      const tick = realTime();
      const mem: RateLimitStore = new MemoryRateLimitStore({ now: () => now });
      const red: RateLimitStore = new RedisRateLimitStore(kv.client, prefix, { now: () => now });
      const rnd = prng(seed);
      const scopes = [`mirror-${randomUUID()}`, `mirror-${randomUUID()}`];
      for (let i = 0; i < 80; i++) {
        now += tick() + Math.floor(rnd() * 200);
        const reqs: CheckRequest[] = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ({
          scope: scopes[rnd() < 0.7 ? 0 : 1]!,
          limits: rules.filter(() => rnd() < 0.5).map(([name, rule]) => ({ id: name, rule, cost: 1 + Math.floor(rnd() * 2) })),
          penalty: rnd() < 0.8 ? { id: 'pen', rule: { allowStrikes: 3, ladderMs: [150, 600], decayMs: 400 } } : undefined,
        }));
        const expected = [];
        for (const r of reqs) expected.push(await mem.check(r));
        assert.deepEqual(await Promise.all(reqs.map((r) => red.check(r))), expected, `step ${i} at ${now}`);
      }
    });
  }
});
