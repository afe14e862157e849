import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../../../store/index.js';
import { revokeSubject } from '../../revocation.js';
import { bearerCtx, providerDeps, validConfig } from '../../../../../test/fixtures/authn/provider-setup.js';
import { startFakeIdp, type FakeIdp } from '../../../../../test/fixtures/authn/servers.js';
import { now } from '../../../../../test/fixtures/authn/tokens.js';
import { createIntrospectionProvider, type IntrospectionProvider } from './provider.js';
import { IntrospectionSchemeSchema, type IntrospectionSchemeConfig } from './schema.js';

const config = (raw: unknown) => validConfig<IntrospectionSchemeConfig>(IntrospectionSchemeSchema, raw);
const ctx = bearerCtx;

describe('introspection provider (RFC 7662)', () => {
  let idp: FakeIdp;
  let store: MemoryStore;
  let provider: IntrospectionProvider;
  const deps = () => providerDeps(store, 'oauth');

  before(async () => {
    idp = await startFakeIdp({ keys: [] });
    store = new MemoryStore({ maxKeys: 100 });
    idp.introspection.set('good-token', { active: true, sub: 'user-9', scope: 'books:read', client_id: 'app', exp: now() + 600, iss: 'https://as.example', aud: 'books-api' });
    idp.introspection.set('expired-token', { active: true, sub: 'user-9', exp: now() - 10 });
    idp.introspection.set('other-aud', { active: true, sub: 'user-9', aud: 'billing', exp: now() + 600 });
    provider = createIntrospectionProvider(config({
      kind: 'introspection', endpoint: `${idp.url}/introspect`, clientId: idp.client.id, clientSecret: idp.client.secret, audiences: ['books-api'],
    }), deps());
  });
  after(async () => { await idp.close(); await store.close(); });

  test('an active token gives a principal; repeats make no new call', async () => {
    const calls = idp.hits['/introspect'] ?? 0;
    for (let i = 0; i < 5; i++) {
      const r = await provider.verify(ctx('good-token'));
      assert.equal(r.kind, 'ok');
      if (r.kind === 'ok') {
        assert.equal(r.principal.id, 'user-9');
        assert.deepEqual(r.principal.scopes, ['books:read']);
        assert.equal(r.principal.clientId, 'app');
      }
    }
    assert.equal(idp.hits['/introspect'], calls + 1);
    assert.equal(provider.stats.calls, 1);
  });

  test('concurrent requests with one token share one call', async () => {
    idp.introspection.set('concurrent', { active: true, sub: 'u', aud: 'books-api', exp: now() + 60 });
    const before = provider.stats.calls;
    const rs = await Promise.all(Array.from({ length: 10 }, () => provider.verify(ctx('concurrent'))));
    assert.ok(rs.every((r) => r.kind === 'ok'));
    assert.equal(provider.stats.calls, before + 1);
  });

  test('active:false is a failure, cached briefly (no new call on repeat)', async () => {
    const before = provider.stats.calls;
    assert.deepEqual(await provider.verify(ctx('unknown-token')), { kind: 'failed', reason: 'inactive', scheme: 'oauth' });
    assert.deepEqual(await provider.verify(ctx('unknown-token')), { kind: 'failed', reason: 'inactive', scheme: 'oauth' });
    assert.equal(provider.stats.calls, before + 1);
  });

  test('expired and wrong-audience answers are failures; no header is absent', async () => {
    assert.deepEqual(await provider.verify(ctx('expired-token')), { kind: 'failed', reason: 'expired', scheme: 'oauth' });
    assert.deepEqual(await provider.verify(ctx('other-aud')), { kind: 'failed', reason: 'wrong_audience', scheme: 'oauth' });
    assert.deepEqual(await provider.verify(ctx(undefined)), { kind: 'absent' });
  });

  test('a revoked subject is refused even from the cache', async () => {
    await revokeSubject(store, 'https://as.example', 'user-9', 60_000);
    assert.deepEqual(await provider.verify(ctx('good-token')), { kind: 'failed', reason: 'revoked', scheme: 'oauth' });
  });

  test('wrong client credentials or an unreachable endpoint throw (the stage fails closed), never succeed', async () => {
    const bad = createIntrospectionProvider(config({ kind: 'introspection', endpoint: `${idp.url}/introspect`, clientId: 'gateway', clientSecret: 'wrong' }), deps());
    await assert.rejects(async () => bad.verify(ctx('good-token')), /HTTP 401/);
    const { deadPort, startHangingServer } = await import('../../../../../test/helpers/siem.js');
    // Nothing listens: the connection is refused.
    const down = createIntrospectionProvider(config({ kind: 'introspection', endpoint: `http://127.0.0.1:${await deadPort()}/introspect`, clientId: idp.client.id, clientSecret: idp.client.secret }), deps());
    await assert.rejects(async () => down.verify(ctx('good-token')));
    // Accepts and never answers: the call times out.
    const hang = await startHangingServer();
    try {
      const silent = createIntrospectionProvider(config({ kind: 'introspection', endpoint: `http://127.0.0.1:${hang.port}/introspect`, clientId: idp.client.id, clientSecret: idp.client.secret, timeoutMs: 200 }), deps());
      await assert.rejects(async () => silent.verify(ctx('good-token')));
    } finally {
      await hang.close();
    }
  });

  test('plain http to a non-loopback endpoint is a config error', () => {
    assert.throws(() => createIntrospectionProvider(config({ kind: 'introspection', endpoint: 'http://as.example/introspect', clientId: 'a', clientSecret: 'b' }), deps()), /must use https/);
  });
});
