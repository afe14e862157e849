import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileLimits, compilePenalty } from './compile.js';
import { Value } from '@sinclair/typebox/value';
import { RateLimitSchema, type RateLimitConfig } from './schema.js';
import { MemoryRateLimitStore } from './stores/memory.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => { gc(); gc(); return process.memoryUsage().heapUsed / 1e6; };
const FLOOD = Number(process.env.PCL_FLOOD ?? 1_000_000);

// Bad input of issue 5: a flood of 1,000,000 distinct client addresses against the memory store
// (keys as the stage builds them for anonymous clients, one limit plus the penalty state each).
// The figure is recorded in docs/reference/rate-limiting.md ("Memory under a flood").
test('1,000,000 distinct client IPs: the memory store stays at maxKeys and the heap stops growing', async () => {
  const maxKeys = 100_000;
  const store = new MemoryRateLimitStore({ maxKeys });
  const config = Value.Default(RateLimitSchema, { limits: [{ name: 'default', limit: 100, window: '1m' }], penalty: { enabled: true } }) as RateLimitConfig;
  const [limit] = compileLimits(config, 'books', 'listBooks');
  const penalty = { id: 'books:penalty', rule: compilePenalty(config)! };
  const base = heapMb();
  let atFifth = 0;
  for (let i = 0; i < FLOOD; i++) {
    const r = await store.check({ scope: `ip.10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, limits: [{ id: limit!.id, rule: limit!.rule, cost: 1 }], penalty });
    assert.equal(r.allowed, true);
    if (i === FLOOD / 5) atFifth = heapMb();
  }
  const end = heapMb();
  process.stdout.write(`# flood: ${FLOOD} clients, ${store.size} keys kept; heap ${base.toFixed(1)} MB -> ${atFifth.toFixed(1)} MB at ${FLOOD / 5} -> ${end.toFixed(1)} MB at ${FLOOD}\n`);
  assert.equal(store.size, maxKeys);
  assert.ok(end - atFifth < 15, `heap grew ${(end - atFifth).toFixed(1)} MB between ${FLOOD / 5} and ${FLOOD} clients`);
  assert.ok(end - base < 100, `heap grew ${(end - base).toFixed(1)} MB for ${maxKeys} keys`);
});
