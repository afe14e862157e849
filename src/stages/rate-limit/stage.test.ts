import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import type { Principal, RequestContext } from '../../pipeline/context.js';
import type { Decision, RequestHandler, Stage } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/memory.js';
import { ipv6Prefix, safeKeyPart } from './keys.js';
import { RateLimitSchema, type RateLimitConfig } from './schema.js';
import { createRateLimitStage } from './stage.js';
import { MemoryRateLimitStore } from './stores/memory.js';
import type { RateLimitStore } from './stores/store.js';

let now = Date.UTC(2026, 5, 15, 12, 0, 30);
const clock = () => now;

function config(raw: Record<string, unknown>): RateLimitConfig {
  const v = Value.Default(RateLimitSchema, structuredClone(raw));
  assert.ok(Value.Check(RateLimitSchema, v), JSON.stringify([...Value.Errors(RateLimitSchema, v)].map((e) => `${e.path} ${e.message}`)));
  return v as RateLimitConfig;
}

function stage(raw: Record<string, unknown>, store: RateLimitStore = new MemoryRateLimitStore({ now: clock }), fallback: RateLimitStore = new MemoryRateLimitStore({ now: clock })): Stage {
  return createRateLimitStage(config(raw), { apiName: 'books', operationId: 'listBooks', baseDir: '.', store: new MemoryStore() }, { store, fallback });
}

function ctx(opts: { ip?: string; principal?: Partial<Principal> } = {}): RequestContext {
  return {
    id: 'r1', startedAt: 0n, method: 'GET', path: '/v1/books', query: '', headers: {},
    client: { ip: opts.ip ?? '203.0.113.7', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'books', operationId: 'listBooks', pathTemplate: '/v1/books', tags: [], params: {} },
    principal: opts.principal === undefined ? undefined : { id: 'alice', kind: 'jwt', scopes: [], roles: [], claims: {}, ...opts.principal },
    body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

async function call(s: Stage, c: RequestContext, phase: 'pre-auth' | 'limit' = 'limit'): Promise<Decision> {
  const h = s.handlers[phase] as RequestHandler;
  return h(c);
}

function rejectOf(d: Decision) {
  assert.equal(d.kind, 'reject');
  return (d as Extract<Decision, { kind: 'reject' }>).error;
}

describe('rate-limit stage', () => {
  test('allows the limit, then 429 PCL_RATE_LIMITED with Retry-After and RateLimit headers', async () => {
    const s = stage({ limits: [{ name: 'default', limit: 2, window: '1m', algorithm: 'fixed-window' }] });
    const first = ctx();
    assert.equal((await call(s, first)).kind, 'continue');
    assert.equal(first.responseHeaders['ratelimit-policy'], '"default";q=2;w=60');
    assert.equal(first.responseHeaders.ratelimit, '"default";r=1;t=30');
    await call(s, ctx());
    const c = ctx();
    const err = rejectOf(await call(s, c));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'PCL_RATE_LIMITED');
    assert.equal(err.headers['retry-after'], '30');
    assert.equal(c.responseHeaders.ratelimit, '"default";r=0;t=30');
    assert.ok(!String(err.detail ?? '').includes('203.0.113.7'), 'the client key stays internal');
  });

  test('several limits: all must pass and the tightest decides the headers', async () => {
    const s = stage({ limits: [{ name: 'burst', limit: 5, window: '1s', algorithm: 'fixed-window' }, { name: 'hourly', limit: 3, window: '1h', algorithm: 'fixed-window' }] });
    const c = ctx({ ip: '198.51.100.1' });
    await call(s, c);
    assert.equal(c.responseHeaders.ratelimit, '"hourly";r=2;t=3570');
    assert.equal(c.responseHeaders['ratelimit-policy'], '"burst";q=5;w=1, "hourly";q=3;w=3600');
    await call(s, ctx({ ip: '198.51.100.1' }));
    await call(s, ctx({ ip: '198.51.100.1' }));
    assert.equal(rejectOf(await call(s, ctx({ ip: '198.51.100.1' }))).code, 'PCL_RATE_LIMITED');
  });

  test('clients are keyed by principal id before IP, and tiers come from the tier claim', async () => {
    const s = stage({ limits: [{ name: 'default', limit: 1, window: '1m', tiers: { gold: 3 } }] });
    assert.equal((await call(s, ctx({ principal: { id: 'bob' } }))).kind, 'continue');
    assert.equal((await call(s, ctx({ principal: { id: 'bob' }, ip: '192.0.2.9' }))).kind, 'reject', 'same principal from another IP shares the counter');
    for (let i = 0; i < 3; i++) assert.equal((await call(s, ctx({ principal: { id: 'carol', claims: { tier: 'gold' } } }))).kind, 'continue');
    assert.equal((await call(s, ctx({ principal: { id: 'carol', claims: { tier: 'gold' } } }))).kind, 'reject');
  });

  test('authenticated and anonymous clients get different limits', async () => {
    const s = stage({ limits: [{ name: 'anon', limit: 1, appliesTo: 'anonymous' }, { name: 'authd', limit: 3, appliesTo: 'authenticated' }] });
    assert.equal((await call(s, ctx({ ip: '192.0.2.50' }))).kind, 'continue');
    assert.equal((await call(s, ctx({ ip: '192.0.2.50' }))).kind, 'reject');
    const c = ctx({ ip: '192.0.2.50', principal: { id: 'dave' } });
    assert.equal((await call(s, c)).kind, 'continue');
    assert.match(String(c.responseHeaders.ratelimit), /^"authd";r=2/);
  });

  test('IPv6 clients are aggregated per /64; IPv4 per address', async () => {
    const s = stage({ limits: [{ name: 'default', limit: 1 }] });
    assert.equal((await call(s, ctx({ ip: '2001:db8:1:2::1' }))).kind, 'continue');
    assert.equal((await call(s, ctx({ ip: '2001:db8:1:2:ffff::9' }))).kind, 'reject', 'same /64');
    assert.equal((await call(s, ctx({ ip: '2001:db8:1:3::1' }))).kind, 'continue', 'another /64');
    assert.equal(ipv6Prefix('2001:db8:1:2:3:4:5:6', 64), '2001:db8:1:2:0:0:0:0/64');
    assert.equal(ipv6Prefix('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1:0:0:0:0:0/48');
    assert.equal(ipv6Prefix('192.0.2.1', 64), '192.0.2.1');
  });

  test('hostile identity values cannot break key construction', () => {
    assert.equal(safeKeyPart('alice'), 'alice');
    for (const bad of ['a}:b', 'x\nset y', '{tag}', 'z'.repeat(10_000), 'a b']) assert.match(safeKeyPart(bad), /^h\.[A-Za-z0-9_-]{43}$/);
  });

  test('pre-auth limits run before authentication, keyed by IP', async () => {
    const s = stage({ limits: [{ name: 'flood', limit: 1, phase: 'pre-auth' }] });
    assert.equal(s.handlers.limit, undefined);
    assert.equal((await call(s, ctx({ ip: '192.0.2.77' }), 'pre-auth')).kind, 'continue');
    assert.equal(rejectOf(await call(s, ctx({ ip: '192.0.2.77' }), 'pre-auth')).code, 'PCL_RATE_LIMITED');
  });

  test('progressive penalty: repeat violators get 429 PCL_RATE_LIMIT_PENALTY for the ladder step', async () => {
    const s = stage({ limits: [{ name: 'default', limit: 1, algorithm: 'fixed-window' }], penalty: { enabled: true, allowStrikes: 1, ladder: ['10m', '1h'], decay: '1h' } });
    const c = () => ctx({ ip: '192.0.2.99' });
    await call(s, c());
    assert.equal(rejectOf(await call(s, c())).code, 'PCL_RATE_LIMITED');
    const blocked = rejectOf(await call(s, c()));
    assert.equal(blocked.code, 'PCL_RATE_LIMIT_PENALTY');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers['retry-after'], '600');
    now += 120_000; // the limit window has passed, the block has not
    assert.equal(rejectOf(await call(s, c())).code, 'PCL_RATE_LIMIT_PENALTY');
  });

  test('store down: fail-closed answers 503 PCL_RATE_LIMIT_UNAVAILABLE; fail-open uses the local fallback', async () => {
    const broken: RateLimitStore = { backend: 'test', check: () => Promise.reject(new Error('ECONNREFUSED')), close: async () => {} };
    const closed = stage({ limits: [{ name: 'default', limit: 1 }] }, broken);
    const err = rejectOf(await call(closed, ctx()));
    assert.equal(err.status, 503);
    assert.equal(err.code, 'PCL_RATE_LIMIT_UNAVAILABLE');
    const open = stage({ onError: 'fail-open', limits: [{ name: 'default', limit: 1 }] }, broken);
    const c = ctx({ ip: '192.0.2.200' });
    assert.equal((await call(open, c)).kind, 'continue');
    assert.equal(c.findings[0]?.code, 'PCL_RATE_LIMIT_UNAVAILABLE');
    assert.equal((await call(open, ctx({ ip: '192.0.2.200' }))).kind, 'reject', 'the fallback still limits');
    const mixed = stage({ onError: 'fail-open', limits: [{ name: 'a', limit: 5 }, { name: 'b', limit: 5, onError: 'fail-closed' }] }, broken);
    assert.equal(rejectOf(await call(mixed, ctx())).code, 'PCL_RATE_LIMIT_UNAVAILABLE', 'any fail-closed limit decides');
  });

  test('concurrency limit: slots are taken in the limit phase and given back in record', async () => {
    const s = stage({ concurrency: { limit: 1 } });
    const a = ctx({ ip: '192.0.2.31' });
    assert.equal((await call(s, a)).kind, 'continue');
    assert.equal(rejectOf(await call(s, ctx({ ip: '192.0.2.31' }))).code, 'PCL_RATE_LIMITED');
    s.handlers.record!(a, { status: 200, headers: {}, body: undefined, generated: false });
    await new Promise((r) => setImmediate(r));
    assert.equal((await call(s, ctx({ ip: '192.0.2.31' }))).kind, 'continue');
  });

  test('config errors are caught at compile time', () => {
    assert.throws(() => stage({ limits: [{ name: 'a', limit: 1 }, { name: 'a', limit: 2 }] }), /duplicate/);
    assert.throws(() => stage({ limits: [{ name: 'a', limit: 1, phase: 'pre-auth', appliesTo: 'authenticated' }] }), /pre-auth/);
    assert.throws(() => stage({ limits: [{ name: 'a', limit: 20_000, algorithm: 'sliding-log' }] }), /10000/);
    assert.equal(Value.Check(RateLimitSchema, { limits: [{ name: 'Bad Name', limit: 1 }] }), false);
    assert.equal(Value.Check(RateLimitSchema, { limits: [{ name: 'a', limit: 1, window: '5 minutes' }] }), false);
  });
});
