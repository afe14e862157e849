import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { Value } from '@sinclair/typebox/value';
import { CHANNELS, publishSecurityEvent, type RateLimitStoreMessage } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision, RequestHandler } from '../../pipeline/stage.js';
import { RiskScores } from '../../security/risk/index.js';
import { MemoryStore } from '../../store/memory.js';
import { RateLimitSchema, type RateLimitConfig } from './schema.js';
import { createRateLimitStage } from './stage.js';
import { MemoryRateLimitStore } from './stores/memory.js';

const now = Date.UTC(2026, 5, 15, 12, 0, 30);
const ctx = (ip: string): RequestContext => ({
  id: 'r', startedAt: 0n, method: 'GET', path: '/v1/books', query: '', headers: {},
  client: { ip, peer: ip, port: 1, tls: false, proto: 'http', host: 'x' },
  route: { apiName: 'books', operationId: 'listBooks', pathTemplate: '/v1/books', tags: [], params: {} },
  principal: undefined, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
});

test('security events from other stages raise the client risk, which tightens its limits; metrics see the band', async () => {
  const store = new MemoryStore({ now: () => now });
  const risk = new RiskScores(store, { now: () => now, cacheMs: 0 });
  const stop = risk.subscribe();
  const seen: RateLimitStoreMessage[] = [];
  const onStore = (m: unknown) => { seen.push(m as RateLimitStoreMessage); };
  diagnostics_channel.subscribe(CHANNELS.rateLimitStore, onStore);
  try {
    const raw = { limits: [{ name: 'default', limit: 10, window: '1h', algorithm: 'fixed-window' }], risk: { enabled: true, bands: [{ score: 20, factor: 0.5 }, { score: 50, factor: 0.2 }] } };
    const config = Value.Default(RateLimitSchema, raw) as RateLimitConfig;
    const s = createRateLimitStage(config, { apiName: 'books', operationId: 'listBooks', baseDir: '.', store }, { store: new MemoryRateLimitStore({ now: () => now }), fallback: new MemoryRateLimitStore(), risk });
    const call = (ip: string): Promise<Decision> => Promise.resolve((s.handlers.limit as RequestHandler)(ctx(ip)));
    const allowed = async (ip: string) => { let n = 0; while ((await call(ip)).kind === 'continue' && n < 50) n += 1; return n; };

    assert.equal(await allowed('192.0.2.1'), 10, 'a clean client gets the configured limit');
    // The attack: a client failing authentication repeatedly (5 points each) and hitting the WAF.
    for (let i = 0; i < 4; i++) publishSecurityEvent(() => ({ kind: 'authn.failure', reason: 'bad_signature', requestId: 'x', api: 'books', operationId: undefined, client: '192.0.2.2', severity: 'medium' }));
    await new Promise((r) => setImmediate(r));
    const c = ctx('192.0.2.2');
    await (s.handlers.limit as RequestHandler)(c);
    assert.equal(c.responseHeaders['ratelimit-policy'], '"default";q=5;w=3600', 'score 20: half the limit');
    assert.equal(await allowed('192.0.2.2'), 4);
    publishSecurityEvent(() => ({ kind: 'waf.block', reason: 'sqli', requestId: 'x', api: 'books', operationId: undefined, client: '192.0.2.3', severity: 'high' }));
    publishSecurityEvent(() => ({ kind: 'credential-stuffing.detected', reason: 'ip', requestId: 'x', api: 'books', operationId: undefined, client: '192.0.2.3', severity: 'high' }));
    await new Promise((r) => setImmediate(r));
    assert.equal(await allowed('192.0.2.3'), 5, 'score 45: band 0 (factor 0.5)');
    for (const kind of ['waf.block', 'waf.block', 'authn.failure', 'authn.failure']) {
      publishSecurityEvent(() => ({ kind, reason: 'x', requestId: 'x', api: 'books', operationId: undefined, client: '192.0.2.4', severity: 'high' }));
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(await allowed('192.0.2.4'), 2, 'score 50: band 1 (factor 0.2)');
    assert.ok(seen.some((m) => m.riskBand === 1));
    assert.ok(seen.some((m) => m.riskBand === 0 && m.ok && m.backend === 'memory'));
    assert.ok(seen.some((m) => m.riskBand === -1));
  } finally {
    stop();
    diagnostics_channel.unsubscribe(CHANNELS.rateLimitStore, onStore);
  }
});
