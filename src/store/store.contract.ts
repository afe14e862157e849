import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyValueStore } from './store.js';

/** How a contract run moves time: a fake clock for memory, a short real wait for Redis. */
export interface ContractClock {
  advance(ms: number): Promise<void>;
}

/**
 * The behaviour every KeyValueStore back-end must show (STYLE 8). Each back-end's test
 * runs it with its own factory; keys are unique per test so runs never collide.
 *
 * @example
 * storeContract('memory', () => new MemoryStore({ now: clock.now }), clock);
 */
export function storeContract(name: string, makeStore: () => KeyValueStore, clock: ContractClock): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    const store = makeStore();
    after(() => store.close());
    let n = 0;
    const key = (k: string) => `c${++n}:${k}`;

    test('get of an absent key is undefined; set then get returns the value', async () => {
      const k = key('a');
      assert.equal(await store.get(k), undefined);
      await store.set(k, 'v1', 60_000);
      assert.equal(await store.get(k), 'v1');
      await store.set(k, 'v2', 60_000);
      assert.equal(await store.get(k), 'v2');
    });

    test('a value expires after its TTL', async () => {
      const k = key('ttl');
      await store.set(k, 'x', 40);
      await clock.advance(80);
      assert.equal(await store.get(k), undefined);
    });

    test('setIfAbsent writes only once while the key lives, again after it expires', async () => {
      const k = key('nx');
      assert.equal(await store.setIfAbsent(k, '1', 40), true);
      assert.equal(await store.setIfAbsent(k, '2', 40), false);
      assert.equal(await store.get(k), '1');
      await clock.advance(80);
      assert.equal(await store.setIfAbsent(k, '3', 40), true);
    });

    test('concurrent setIfAbsent: exactly one wins', async () => {
      const k = key('race');
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent(k, String(i), 60_000)));
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test('increment creates with delta and TTL, adds, and keeps the first expiry', async () => {
      const k = key('inc');
      const first = await store.increment(k, 1, 60_000);
      assert.equal(first.value, 1);
      assert.ok(first.ttlMs > 0 && first.ttlMs <= 60_000);
      const second = await store.increment(k, 5, 1);
      assert.equal(second.value, 6);
      assert.ok(second.ttlMs > 1, 'a later increment does not shorten the TTL');
      assert.equal((await store.increment(k, -2, 60_000)).value, 4);
    });

    test('concurrent increments are not lost', async () => {
      const k = key('inc-race');
      await Promise.all(Array.from({ length: 50 }, () => store.increment(k, 1, 60_000)));
      assert.equal((await store.increment(k, 0, 60_000)).value, 50);
    });

    test('a counter restarts after its TTL', async () => {
      const k = key('inc-ttl');
      await store.increment(k, 3, 40);
      await clock.advance(80);
      assert.equal((await store.increment(k, 1, 40)).value, 1);
    });

    test('ttl 0 never expires and reports ttl 0', async () => {
      const k = key('forever');
      const r = await store.increment(k, 1, 0);
      assert.equal(r.ttlMs, 0);
      const s = key('forever-set');
      await store.set(s, 'x', 0);
      await clock.advance(80);
      assert.equal((await store.increment(k, 1, 0)).value, 2);
      assert.equal(await store.get(s), 'x');
      await store.delete(k);
      await store.delete(s);
    });

    test('compareAndSet writes only over the expected value (or an absent key) and otherwise returns the current one', async () => {
      const k = key('cas');
      assert.deepEqual(await store.compareAndSet(k, 'nothing', 'a', 60_000), { written: false, current: undefined });
      assert.deepEqual(await store.compareAndSet(k, undefined, 'a', 60_000), { written: true });
      assert.deepEqual(await store.compareAndSet(k, undefined, 'b', 60_000), { written: false, current: 'a' });
      assert.deepEqual(await store.compareAndSet(k, 'x', 'b', 60_000), { written: false, current: 'a' });
      assert.deepEqual(await store.compareAndSet(k, 'a', '', 60_000), { written: true });
      assert.deepEqual(await store.compareAndSet(k, undefined, 'c', 60_000), { written: false, current: '' }, 'an empty value is not an absent key');
      assert.deepEqual(await store.compareAndSet(k, '', 'c', 40), { written: true });
      await clock.advance(80);
      assert.deepEqual(await store.compareAndSet(k, 'c', 'd', 40), { written: false, current: undefined }, 'the TTL applies');
    });

    test('concurrent read-modify-writes through compareAndSet lose no update', async () => {
      const k = key('cas-race');
      // Each writer reads, adds one, and retries over whatever stood in the way: with a plain set
      // most of these increments would overwrite each other.
      const bump = async () => {
        let seen = await store.get(k);
        for (;;) {
          const r = await store.compareAndSet(k, seen, JSON.stringify({ n: (seen === undefined ? 0 : (JSON.parse(seen) as { n: number }).n) + 1 }), 60_000);
          if (r.written) return;
          seen = r.current;
        }
      };
      await Promise.all(Array.from({ length: 40 }, bump));
      assert.deepEqual(JSON.parse((await store.get(k))!), { n: 40 });
    });

    test('delete removes a key', async () => {
      const k = key('del');
      await store.set(k, 'x', 60_000);
      await store.delete(k);
      assert.equal(await store.get(k), undefined);
    });

    test('keys with separators, newlines and long ids stay distinct', async () => {
      const a = key('a:b\nc');
      const b = key('a:b c');
      const long = key('x'.repeat(4096));
      await store.set(a, '1', 60_000);
      await store.set(b, '2', 60_000);
      await store.set(long, '3', 60_000);
      assert.deepEqual([await store.get(a), await store.get(b), await store.get(long)], ['1', '2', '3']);
    });
  });
}
