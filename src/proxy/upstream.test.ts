import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayError } from '../errors/index.js';
import { Upstream, type QueuedCall } from './upstream.js';

function upstream(maxConnections: number, maxQueued: number, queueTimeoutMs: number): Upstream {
  return new Upstream({
    apiName: 't', url: new URL('http://127.0.0.1:9'), connectTimeoutMs: 100, headersTimeoutMs: 100, bodyTimeoutMs: 100,
    maxConnections, maxQueued, queueTimeoutMs, retries: 0, breaker: { enabled: false, failureThreshold: 1, cooldownMs: 1 },
  });
}

function call(log: string[], name: string): QueuedCall {
  return { send: () => log.push(`${name} sent`), refuse: (err: GatewayError) => log.push(`${name} ${err.code} ${err.status} retry-after=${err.headers['retry-after']}`) };
}

test('at most maxConnections calls are sent; the next wait in order; beyond maxQueued they are refused at once', async () => {
  const up = upstream(2, 1, 10_000);
  const log: string[] = [];
  for (const n of ['a', 'b', 'c', 'd']) up.admit(call(log, n));
  assert.deepEqual(log, ['a sent', 'b sent', 'd PCL_UPSTREAM_OVERLOADED 503 retry-after=1']);
  assert.deepEqual(up.load(), { active: 2, queued: 1 });
  up.release();
  assert.deepEqual(log.slice(3), ['c sent']);
  assert.deepEqual(up.load(), { active: 2, queued: 0 });
  await up.close();
});

test('a call that waits longer than queueTimeoutMs is refused; a withdrawn call is never sent', async () => {
  const up = upstream(1, 5, 50);
  const log: string[] = [];
  up.admit(call(log, 'a'));
  up.admit(call(log, 'b'));
  const c = call(log, 'c');
  up.admit(c);
  assert.equal(up.withdraw(c), true);
  assert.equal(up.withdraw(c), false);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(log, ['a sent', 'b PCL_UPSTREAM_OVERLOADED 503 retry-after=1']);
  up.release();
  assert.deepEqual(up.load(), { active: 0, queued: 0 });
  await up.close();
});
