import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { publishRateLimitStore, publishRiskScore } from '../channels.js';
import { subscribeRateLimitMetrics } from './rate-limit-metrics.js';

test('store calls, store errors, risk tightening and risk raises are counted', async () => {
  const registry = new Registry();
  const stop = subscribeRateLimitMetrics(registry);
  try {
    publishRateLimitStore(() => ({ backend: 'redis', ok: true, durationS: 0.0008, riskBand: -1 }));
    publishRateLimitStore(() => ({ backend: 'redis', ok: false, durationS: 1.0, riskBand: 1 }));
    publishRiskScore({ subject: 'ip', kind: 'authn.failure', points: 5, score: 25 });
    const text = await registry.metrics();
    assert.match(text, /portcullis_ratelimit_store_duration_seconds_count\{backend="redis",result="ok"\} 1/);
    assert.match(text, /portcullis_ratelimit_store_duration_seconds_bucket\{le="0.001",backend="redis",result="ok"\} 1/);
    assert.match(text, /portcullis_ratelimit_store_errors_total\{backend="redis"\} 1/);
    assert.match(text, /portcullis_ratelimit_risk_tightened_total\{band="1"\} 1/);
    assert.match(text, /portcullis_risk_raises_total\{subject="ip",kind="authn.failure"\} 1/);
    assert.match(text, /portcullis_risk_score_bucket\{le="50",subject="ip"\} 1/);
    for (let i = 0; i < 40; i++) publishRiskScore({ subject: 'ip', kind: `k${i}`, points: 1, score: 1 });
    assert.match(await registry.metrics(), /portcullis_risk_raises_total\{subject="ip",kind="other"\} \d+/, 'kinds are bounded');
  } finally {
    stop();
  }
  assert.doesNotMatch(await registry.metrics(), /ratelimit_store/);
});
