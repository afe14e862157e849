import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { Principal, RequestContext } from '../../pipeline/context.js';
import type { Decision, RequestHandler, Stage } from '../../pipeline/stage.js';
import { RiskScores } from '../../security/risk/index.js';
import { MemoryStore } from '../../store/memory.js';
import { RateLimitSchema, type RateLimitConfig } from './schema.js';
import { createRateLimitStage } from './stage.js';
import { MemoryRateLimitStore } from './stores/memory.js';
import type { CheckRequest, RateLimitStore } from './stores/store.js';

const now = Date.UTC(2026, 5, 15, 12, 0, 30);

function config(raw: Record<string, unknown>): RateLimitConfig {
  const v = Value.Default(RateLimitSchema, structuredClone(raw));
  assert.ok(Value.Check(RateLimitSchema, v), JSON.stringify([...Value.Errors(RateLimitSchema, v)].map((e) => `${e.path} ${e.message}`)));
  return v as RateLimitConfig;
}

/** A memory store that remembers every scope it was asked about (what would reach Redis). */
function spyStore(): RateLimitStore & { scopes: string[] } {
  const inner = new MemoryRateLimitStore({ now: () => now });
  const scopes: string[] = [];
  return Object.assign(Object.create(inner) as RateLimitStore, {
    scopes,
    backend: 'memory',
    check: (r: CheckRequest) => { scopes.push(r.scope); return inner.check(r); },
  });
}

function stage(raw: Record<string, unknown>, store: RateLimitStore, extra: { risk?: RiskScores; kv?: MemoryStore } = {}): Stage {
  return createRateLimitStage(config(raw), { apiName: 'shop', operationId: 'login', baseDir: '.', store: extra.kv ?? new MemoryStore() },
    { store, fallback: new MemoryRateLimitStore(), ...(extra.risk !== undefined ? { risk: extra.risk } : {}) });
}

function ctx(o: { ip?: string; body?: unknown; form?: string; headers?: Record<string, string>; params?: Record<string, string>; query?: string; principal?: Partial<Principal> } = {}): RequestContext {
  const body = o.form !== undefined ? Buffer.from(o.form) : o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  return {
    id: 'r', startedAt: 0n, method: 'POST', path: '/login', query: o.query ?? '',
    headers: { 'content-type': o.form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json', ...o.headers },
    client: { ip: o.ip ?? '203.0.113.7', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'shop', operationId: 'login', pathTemplate: '/login', tags: [], params: o.params ?? {} },
    principal: o.principal === undefined ? undefined : { id: 'alice', kind: 'jwt', scopes: [], roles: [], claims: {}, ...o.principal },
    body, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

const call = (s: Stage, c: RequestContext, phase: 'pre-auth' | 'limit' | 'inspect'): Promise<Decision> => Promise.resolve((s.handlers[phase] as RequestHandler)(c));

test('per-username login limit from the body: rotating IPs does not help, other users are not affected, case folds', async () => {
  const store = spyStore();
  const s = stage({ limits: [{ name: 'per-user', limit: 3, window: '15m', algorithm: 'fixed-window', key: ['body:/username'], keyCase: 'fold' }] }, store);
  assert.equal(s.needsRequestBody, true);
  assert.equal(s.handlers.limit, undefined, 'a body-keyed limit waits for the body (inspect phase)');
  // The attack: password guessing against one account from three addresses, varying the case.
  const tries = [['198.51.100.1', 'alice'], ['198.51.100.2', 'Alice'], ['198.51.100.3', ' ALICE ']] as const;
  for (const [ip, username] of tries) assert.equal((await call(s, ctx({ ip, body: { username, password: 'x' } }), 'inspect')).kind, 'continue');
  const d = await call(s, ctx({ ip: '198.51.100.4', body: { username: 'alice', password: 'x' } }), 'inspect');
  assert.equal(d.kind === 'reject' && d.error.code, 'PCL_RATE_LIMITED');
  assert.equal((await call(s, ctx({ ip: '198.51.100.4', body: { username: 'bob', password: 'x' } }), 'inspect')).kind, 'continue');
  // No username: not counted by this limit (request validation answers such a body).
  assert.equal((await call(s, ctx({ body: { password: 'x' } }), 'inspect')).kind, 'continue');
  // What reaches the store is a hash, never the username.
  assert.ok(store.scopes.length > 0 && store.scopes.every((k) => /^x\.[A-Za-z0-9_-]{43}$/.test(k)), store.scopes.join(','));
  assert.ok(!store.scopes.some((k) => k.toLowerCase().includes('alice')));
});

test('key parts: header, path and query parameters, form field, claim, subnet; parts are combined', async () => {
  const store = spyStore();
  const s = stage({ limits: [
    { name: 'tenant', limit: 1, window: '1m', algorithm: 'fixed-window', key: ['header:X-Tenant', 'param:shopId'] },
    { name: 'by-claim', limit: 1, window: '1m', algorithm: 'fixed-window', key: ['claim:org'], appliesTo: 'authenticated' },
    { name: 'net', limit: 2, window: '1m', algorithm: 'fixed-window', key: ['subnet:24', 'query:q'] },
  ] }, store);
  const t = (tenant: string, shopId: string) => ctx({ headers: { 'x-tenant': tenant }, params: { shopId } });
  assert.equal((await call(s, t('a', '1'), 'limit')).kind, 'continue');
  assert.equal((await call(s, t('a', '1'), 'limit')).kind, 'reject');
  assert.equal((await call(s, t('a', '2'), 'limit')).kind, 'continue', 'another shop: another counter');
  assert.equal((await call(s, t('b', '1'), 'limit')).kind, 'continue', 'another tenant: another counter');
  const org = (id: string, org: string) => ctx({ principal: { id, claims: { org } } });
  assert.equal((await call(s, org('u1', 'acme'), 'limit')).kind, 'continue');
  assert.equal((await call(s, org('u2', 'acme'), 'limit')).kind, 'reject', 'two users of one org share its counter');
  const q = (ip: string) => ctx({ ip, query: 'q=x' });
  assert.equal((await call(s, q('192.0.2.1'), 'limit')).kind, 'continue');
  assert.equal((await call(s, q('192.0.2.200'), 'limit')).kind, 'continue');
  assert.equal((await call(s, q('192.0.2.9'), 'limit')).kind, 'reject', 'one /24 is one counter');
  assert.equal((await call(s, q('192.0.3.9'), 'limit')).kind, 'continue');

  const f = stage({ limits: [{ name: 'form', limit: 1, window: '1m', algorithm: 'fixed-window', key: ['form:email'] }] }, spyStore());
  assert.equal((await call(f, ctx({ form: 'email=a%40x.test&p=1' }), 'inspect')).kind, 'continue');
  assert.equal((await call(f, ctx({ form: 'p=2&email=a%40x.test' }), 'inspect')).kind, 'reject');
  const b = stage({ limits: [{ name: 'ptr', limit: 1, window: '1m', algorithm: 'fixed-window', key: ['body:/user/email'] }] }, spyStore());
  assert.equal((await call(b, ctx({ form: 'email=z' }), 'inspect')).kind, 'continue', 'a form body: the pointer\'s last segment names the field');
  assert.equal((await call(b, ctx({ form: 'email=z' }), 'inspect')).kind, 'reject');
});

test('key mistakes are load errors: principal parts in pre-auth, unknown parts by the schema', () => {
  assert.throws(() => stage({ limits: [{ name: 'x', limit: 1, phase: 'pre-auth', key: ['principal'] }] }, spyStore()), /runs in pre-auth.*cannot use principal/);
  assert.throws(() => stage({ limits: [{ name: 'x', limit: 1, phase: 'pre-auth', key: ['ip', 'body:/u'] }] }, spyStore()), /cannot use body:\/u/);
  const bad = Value.Default(RateLimitSchema, { limits: [{ name: 'x', limit: 1, key: ['cookie:sid'] }] });
  assert.equal(Value.Check(RateLimitSchema, bad), false);
});

test('risk tightening: never below the floor (a band under it is a config error), never for allow-listed clients', async () => {
  assert.throws(() => stage({ limits: [{ name: 'd', limit: 10 }], risk: { enabled: true, floor: 0.1, bands: [{ score: 20, factor: 0.05 }] } }, spyStore()), /risk\.bands\[0\]\.factor 0\.05 is below risk\.floor 0\.1/);
  const kv = new MemoryStore({ now: () => now });
  const risk = new RiskScores(kv, { now: () => now, cacheMs: 0 });
  const stop = risk.subscribe();
  try {
    const s = stage({ limits: [{ name: 'd', limit: 10, window: '1h', algorithm: 'fixed-window' }], risk: { enabled: true, bands: [{ score: 20, factor: 0.5 }] } }, new MemoryRateLimitStore({ now: () => now }), { risk, kv });
    for (const ip of ['192.0.2.50', '192.0.2.51']) {
      for (let i = 0; i < 4; i++) publishSecurityEvent(() => ({ kind: 'authn.failure', reason: 'bad', requestId: 'x', api: 'shop', operationId: undefined, client: ip, severity: 'medium' }));
    }
    await new Promise((r) => setImmediate(r));
    const risky = ctx({ ip: '192.0.2.50' });
    await call(s, risky, 'limit');
    assert.equal(risky.responseHeaders['ratelimit-policy'], '"d";q=5;w=3600', 'the risky client is tightened');
    const trusted = ctx({ ip: '192.0.2.51' });
    trusted.allowListed = true;
    await call(s, trusted, 'limit');
    assert.equal(trusted.responseHeaders['ratelimit-policy'], '"d";q=10;w=3600', 'the same score, allow-listed: not tightened');
  } finally {
    stop();
  }
});
