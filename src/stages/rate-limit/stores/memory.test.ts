import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimitStore } from './memory.js';
import { rateLimitStoreContract } from './store.contract.js';

let now = Date.UTC(2026, 5, 15, 12);
rateLimitStoreContract('memory', () => new MemoryRateLimitStore({ now: () => now }), async (ms) => { now += ms; });

test('memory stays bounded under a flood of distinct clients', async () => {
  const store = new MemoryRateLimitStore({ maxKeys: 1000 });
  const rule = { algorithm: 'fixed-window' as const, limit: 10, windowMs: 60_000, burst: 10 };
  for (let i = 0; i < 100_000; i++) await store.check({ scope: `ip:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, limits: [{ id: 'x', rule, cost: 1 }] });
  assert.equal(store.size, 1000);
});
