import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Algorithm, LimitRule } from '../algorithms/types.js';
import type { RateLimitStore } from './store.js';

const YEAR = 365 * 86_400_000;

/**
 * The behaviour every RateLimitStore must show (STYLE 8). `advance` moves time: a fake clock
 * for memory, a real wait for Redis (which keeps its own clock). Windows are long (a year) where
 * a test counts, so a real clock crossing a window edge cannot change the outcome.
 *
 * @example
 * rateLimitStoreContract('memory', () => new MemoryRateLimitStore({ now }), async (ms) => { now += ms; });
 */
export function rateLimitStoreContract(name: string, make: () => RateLimitStore, advance: (ms: number) => Promise<void>): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    const store = make();
    after(() => store.close());
    const scope = () => `t-${randomUUID()}`;
    const rule = (algorithm: Algorithm, limit: number, windowMs = YEAR): LimitRule => ({ algorithm, limit, windowMs, burst: limit });

    for (const algorithm of ['token-bucket', 'gcra', 'fixed-window', 'sliding-window', 'sliding-log'] as const) {
      test(`${algorithm}: allows the limit, then denies with Retry-After`, async () => {
        const s = scope();
        const req = { scope: s, limits: [{ id: 'a', rule: rule(algorithm, 3), cost: 1 }] };
        const seen: number[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await store.check(req);
          assert.equal(r.allowed, true);
          seen.push(r.decisions[0]!.remaining);
        }
        assert.deepEqual(seen, [2, 1, 0]);
        const denied = await store.check(req);
        assert.equal(denied.allowed, false);
        assert.equal(denied.decisions[0]!.allowed, false);
        assert.ok(denied.decisions[0]!.retryAfterMs > 0);
        assert.ok(denied.decisions[0]!.resetMs > 0);
      });
    }

    test('all limits must pass, and a denied request consumes none of them', async () => {
      const s = scope();
      const req = { scope: s, limits: [{ id: 'wide', rule: rule('fixed-window', 5), cost: 1 }, { id: 'tight', rule: rule('fixed-window', 2), cost: 1 }] };
      await store.check(req);
      await store.check(req);
      const third = await store.check(req);
      assert.equal(third.allowed, false);
      assert.deepEqual(third.decisions.map((d) => d.allowed), [true, false]);
      const wideOnly = await store.check({ scope: s, limits: [{ id: 'wide', rule: rule('fixed-window', 5), cost: 1 }] });
      assert.equal(wideOnly.decisions[0]!.remaining, 2, 'the denied request did not count against "wide"');
    });

    test('clients and limit ids are independent', async () => {
      const a = scope();
      const b = scope();
      const r = rule('sliding-log', 1);
      assert.equal((await store.check({ scope: a, limits: [{ id: 'x', rule: r, cost: 1 }] })).allowed, true);
      assert.equal((await store.check({ scope: a, limits: [{ id: 'x', rule: r, cost: 1 }] })).allowed, false);
      assert.equal((await store.check({ scope: a, limits: [{ id: 'y', rule: r, cost: 1 }] })).allowed, true);
      assert.equal((await store.check({ scope: b, limits: [{ id: 'x', rule: r, cost: 1 }] })).allowed, true);
    });

    test('concurrent checks never allow more than the limit', async () => {
      const s = scope();
      const req = { scope: s, limits: [{ id: 'c', rule: rule('token-bucket', 10), cost: 1 }] };
      const results = await Promise.all(Array.from({ length: 30 }, () => store.check(req)));
      assert.equal(results.filter((r) => r.allowed).length, 10);
    });

    test('a limit refills with time', async () => {
      const s = scope();
      const req = { scope: s, limits: [{ id: 'r', rule: rule('sliding-log', 1, 100), cost: 1 }] };
      assert.equal((await store.check(req)).allowed, true);
      await advance(150);
      assert.equal((await store.check(req)).allowed, true);
    });

    test('progressive penalty: strikes, then a block from the ladder, then decay', async () => {
      const s = scope();
      const penalty = { id: 'pen', rule: { allowStrikes: 1, ladderMs: [120, 600_000], decayMs: 50 } };
      const req = { scope: s, limits: [{ id: 'p', rule: rule('fixed-window', 1), cost: 1 }], penalty };
      assert.equal((await store.check(req)).allowed, true);
      const strike = await store.check(req);
      assert.equal(strike.allowed, false);
      assert.deepEqual(strike.penalty, { blocked: false, retryAfterMs: 0, strikes: 1 });
      const blocked = await store.check(req);
      assert.equal(blocked.penalty?.blocked, true);
      assert.equal(blocked.penalty?.retryAfterMs, 120);
      const during = await store.check(req);
      assert.equal(during.allowed, false);
      assert.deepEqual(during.decisions, []);
      assert.equal(during.penalty?.blocked, true);
      // After the block and long enough to forgive both strikes, the next violation is a strike again.
      await advance(300);
      const after = await store.check(req);
      assert.equal(after.penalty?.blocked, false);
      assert.equal(after.penalty?.strikes, 1);
    });

    test('a monthly quota reports its reset within the month', async () => {
      const s = scope();
      const r = await store.check({ scope: s, limits: [{ id: 'q', rule: { algorithm: 'fixed-window', limit: 1000, windowMs: 0, burst: 1000, calendar: 'month' }, cost: 1 }] });
      assert.equal(r.decisions[0]!.remaining, 999);
      assert.ok(r.decisions[0]!.resetMs > 0 && r.decisions[0]!.resetMs <= 31 * 86_400_000);
    });

    test('scopes and ids with separators stay distinct', async () => {
      const base = scope();
      const r = rule('sliding-log', 1);
      assert.equal((await store.check({ scope: `${base}:a`, limits: [{ id: 'b', rule: r, cost: 1 }] })).allowed, true);
      assert.equal((await store.check({ scope: base, limits: [{ id: 'a:b', rule: r, cost: 1 }] })).allowed, true);
    });
  });
}
