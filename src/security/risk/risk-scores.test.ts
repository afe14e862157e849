import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, publishSecurityEvent, type RiskScoreMessage, type SecurityEventMessage } from '../../observability/channels.js';
import { MemoryStore } from '../../store/memory.js';
import { decayed } from './decay.js';
import { RiskScores } from './risk-scores.js';
import { riskPoints } from './weights.js';

const settle = () => new Promise((r) => setImmediate(r));
const event = (over: Partial<SecurityEventMessage>): SecurityEventMessage => ({ kind: 'authn.failure', reason: 'bad_signature', requestId: 'r', api: 'books', operationId: undefined, client: '203.0.113.7', severity: 'medium', time: '2026-01-01T00:00:00.000Z', ...over });

describe('risk scores', () => {
  test('decay halves a score per half-life', () => {
    assert.equal(decayed(40, 0, 1000), 40);
    assert.equal(decayed(40, 1000, 1000), 20);
    assert.equal(decayed(40, 3000, 1000), 5);
  });

  test('points by kind; monitor-mode events count half; unknown kinds and successes nothing', () => {
    assert.equal(riskPoints({ kind: 'waf.block', enforced: true }), 20);
    assert.equal(riskPoints({ kind: 'waf.block', enforced: false }), 10);
    assert.equal(riskPoints({ kind: 'authn.success' }), 0);
    assert.equal(riskPoints({ kind: 'ratelimit.exceeded' }), 0);
    assert.equal(riskPoints({ kind: '__proto__' }), 0);
  });

  test('raise accumulates with decay, caps at max, and is read back through the store', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const r = new RiskScores(store, { halfLifeMs: 1000, max: 100, now: () => now, cacheMs: 0 });
    assert.equal(await r.raise('ip:a', 30), 30);
    now = 1000;
    assert.equal(await r.raise('ip:a', 10), 25);
    assert.equal(await new RiskScores(store, { halfLifeMs: 1000, now: () => now }).score('ip:a'), 25, 'another instance on the same store sees it');
    now = 2000;
    assert.equal(await r.score('ip:a'), 12.5);
    for (let i = 0; i < 10; i++) await r.raise('ip:a', 50);
    assert.equal(await r.score('ip:a'), 100);
    assert.equal(await r.score('ip:never-seen'), 0);
  });

  test('security events raise the client address and the principal, and publish the new score', async () => {
    const store = new MemoryStore();
    const r = new RiskScores(store, { cacheMs: 0, now: () => 5000 });
    const seen: RiskScoreMessage[] = [];
    const on = (m: unknown) => { seen.push(m as RiskScoreMessage); };
    diagnostics_channel.subscribe(CHANNELS.riskScore, on);
    const stop = r.subscribe();
    try {
      publishSecurityEvent(() => event({ principal: 'mallory' }));
      publishSecurityEvent(() => event({ kind: 'authn.success', reason: 'jwt' }));
      await settle();
      assert.equal(await r.score('ip:203.0.113.7'), 5);
      assert.equal(await r.score('p:mallory'), 5);
      assert.deepEqual(seen.map((m) => [m.subject, m.kind, m.points]), [['ip', 'authn.failure', 5], ['principal', 'authn.failure', 5]]);
    } finally {
      stop();
      diagnostics_channel.unsubscribe(CHANNELS.riskScore, on);
    }
    publishSecurityEvent(() => event({}));
    await settle();
    assert.equal(await r.score('ip:203.0.113.7'), 5, 'unsubscribed');
  });
});
