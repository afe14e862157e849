import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { startFakeIdp, type FakeIdp } from '../../../../../test/fixtures/authn/servers.js';
import { localKeySet, RemoteJwks } from './remote-jwks.js';

const OPTS = { defaultCacheSeconds: 300, minCacheSeconds: 60, maxCacheSeconds: 3600, refreshCooldownSeconds: 30, maxStaleSeconds: 600, timeoutMs: 2000, maxBytes: 65536 };

describe('RemoteJwks caching', () => {
  let idp: FakeIdp;
  let jwk: JWK;
  let t = 1_000_000;
  const clock = () => t;
  before(async () => {
    const k = await generateKeyPair('ES256', { extractable: true });
    jwk = { ...await exportJWK(k.publicKey), kid: 'k1', alg: 'ES256' };
    idp = await startFakeIdp({ keys: [jwk] });
  });
  after(() => idp.close());

  test('honours Cache-Control max-age (clamped) and refetches only once stale', async () => {
    idp.setJwks({ keys: [jwk] }, 'max-age=120');
    const set = new RemoteJwks({ jwksUri: `${idp.url}/jwks` }, OPTS, clock);
    await set.current();
    await set.current();
    assert.equal(set.fetches, 1);
    t += 119_000;
    await set.current();
    assert.equal(set.fetches, 1);
    t += 2_000;
    await set.current(); // stale: served at once, refreshed in the background
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(set.fetches, 2);
  });

  test('a max-age below the minimum is raised to it', async () => {
    idp.setJwks({ keys: [jwk] }, 'max-age=1');
    const set = new RemoteJwks({ jwksUri: `${idp.url}/jwks` }, OPTS, clock);
    await set.current();
    t += 30_000;
    await set.current();
    assert.equal(set.fetches, 1);
  });

  test('stale-while-error: the last good keys are used while the issuer is down, until maxStale', async () => {
    idp.setJwks({ keys: [jwk] }, 'max-age=60');
    const set = new RemoteJwks({ jwksUri: `${idp.url}/jwks` }, OPTS, clock);
    await set.current();
    idp.setDown(true);
    try {
      t += 120_000;
      await set.current();
      await new Promise((r) => setTimeout(r, 50));
      await set.current();
      t += 700_000;
      await assert.rejects(set.current(), /HTTP 503/);
    } finally {
      idp.setDown(false);
    }
  });

  test('unknown-kid refreshes respect the cooldown', async () => {
    const set = new RemoteJwks({ jwksUri: `${idp.url}/jwks` }, OPTS, clock);
    await set.current();
    assert.equal(await set.refreshForUnknownKid(), false);
    t += 31_000;
    assert.equal(await set.refreshForUnknownKid(), true);
    assert.equal(await set.refreshForUnknownKid(), false);
    assert.equal(set.fetches, 2);
  });

  test('OIDC discovery: jwks_uri is followed when the issuer matches, refused otherwise', async () => {
    idp.setDiscoveryIssuer(idp.url);
    const ok = new RemoteJwks({ discoveryUrl: `${idp.url}/.well-known/openid-configuration`, issuer: idp.url }, OPTS, clock);
    await ok.current();
    idp.setDiscoveryIssuer('https://evil.example');
    const bad = new RemoteJwks({ discoveryUrl: `${idp.url}/.well-known/openid-configuration`, issuer: idp.url }, OPTS, clock);
    await assert.rejects(bad.current(), /does not match/);
    idp.setDiscoveryIssuer(idp.url);
  });

  test('symmetric and private keys in a JWKS are never used; a non-JWKS is refused', async () => {
    const priv = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...await exportJWK(priv.privateKey), kid: 'p', alg: 'ES256' };
    const getKey = localKeySet({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h', alg: 'HS256' }, privateJwk] }, 'test');
    await assert.rejects(async () => getKey({ alg: 'ES256', kid: 'p' }, { payload: '', signature: '' } as never), /no applicable key/i);
    assert.throws(() => localKeySet({ nokeys: true }, 'x'), /not a JWKS/);
  });
});
