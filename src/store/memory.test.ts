import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory.js';
import { storeContract } from './store.contract.js';

let now = 1_000_000;
storeContract('memory', () => new MemoryStore({ now: () => now }), { advance: async (ms) => { now += ms; } });

test('memory store stays bounded under a flood of distinct keys', async () => {
  const store = new MemoryStore({ maxKeys: 1000 });
  for (let i = 0; i < 20_000; i++) await store.increment(`flood:${i}`, 1, 60_000);
  assert.equal(store.size, 1000);
  assert.equal(await store.get('flood:0'), undefined, 'the oldest keys were evicted');
  assert.equal(await store.get('flood:19999'), '1');
});
