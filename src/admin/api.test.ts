import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiKeyRevocationKey } from '../stages/authn/providers/api-key/index.js';
import { isRevoked } from '../stages/authn/revocation.js';
import { MemoryStore } from '../store/index.js';
import type { Runtime } from '../runtime/runtime.js';
import { createAdminApi } from './api.js';
import { createAdminHandler } from './handler.js';

const TOKEN = 'admin-token-for-unit-tests-0123456789';

describe('admin API: revocations', () => {
  const store = new MemoryStore();
  let server: http.Server;
  let base: string;
  before(async () => {
    const routes = createAdminApi(TOKEN, { runtime: () => ({}) as Runtime, reload: async () => true, startedAt: Date.now(), version: 't', store });
    server = http.createServer(createAdminHandler({ metrics: async () => ({ contentType: 'text/plain', body: '' }), health: () => ({ live: true, ready: true }), routes }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await store.close();
  });

  const call = (method: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${base}/admin/revocations`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  test('revoke and un-revoke a jti, a subject and an API key id', async () => {
    const jti = await call('POST', { kind: 'jti', value: 'tok-1', ttlSeconds: 60 });
    assert.equal(jti.status, 201);
    assert.equal(((await jti.json()) as { revoked: boolean }).revoked, true);
    assert.equal(await isRevoked(store, { jti: 'tok-1' }), true);
    assert.equal((await call('POST', { kind: 'subject', value: 'alice', issuer: 'https://idp.example' })).status, 201);
    assert.equal(await isRevoked(store, { issuer: 'https://idp.example', subject: 'alice' }), true);
    assert.equal((await call('POST', { kind: 'api-key', value: 'k1a2b3c4d5' })).status, 201);
    assert.notEqual(await store.get(apiKeyRevocationKey('k1a2b3c4d5')), undefined);

    assert.equal((await call('DELETE', { kind: 'jti', value: 'tok-1' })).status, 200);
    assert.equal(await isRevoked(store, { jti: 'tok-1' }), false);
    assert.equal((await call('DELETE', { kind: 'subject', value: 'alice', issuer: 'https://idp.example' })).status, 200);
    assert.equal(await isRevoked(store, { issuer: 'https://idp.example', subject: 'alice' }), false);
    assert.equal((await call('DELETE', { kind: 'api-key', value: 'k1a2b3c4d5' })).status, 200);
    assert.equal(await store.get(apiKeyRevocationKey('k1a2b3c4d5')), undefined);
  });

  test('bad bodies are 400 PCL_BAD_REQUEST problem+json, and nothing is written', async () => {
    const bad: unknown[] = [
      '{not json', '[]', 'null', {}, { kind: 'jti' }, { kind: 'token', value: 'x' }, { kind: 'jti', value: '' },
      { kind: 'jti', value: 'a b' }, { kind: 'jti', value: 'x\u0000' }, { kind: 'jti', value: 'x', extra: 1 },
      { kind: 'jti', value: 'x', ttlSeconds: 0 }, { kind: 'jti', value: 'x', ttlSeconds: 1.5 }, { kind: 'jti', value: 'x', ttlSeconds: '60' },
      { kind: 'subject', value: 'alice' }, { kind: 'jti', value: 'x', issuer: 'https://idp' }, { kind: 'api-key', value: '../etc' },
      { kind: 'jti', value: 'x'.repeat(1025) },
    ];
    for (const body of bad) {
      const res = await call('POST', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_BAD_REQUEST');
    }
    const del = await call('DELETE', { kind: 'jti', value: 'x', ttlSeconds: 60 });
    assert.equal(del.status, 400);
    assert.equal(await isRevoked(store, { jti: 'x' }), false);
  });

  test('a body over the limit is 413; a non-JSON content type is 415', async () => {
    const big = await call('POST', JSON.stringify({ kind: 'jti', value: 'x', pad: 'p'.repeat(10_000) }));
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, 'PCL_BODY_TOO_LARGE');
    const form = await call('POST', 'kind=jti&value=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
  });

  test('attack: without the admin token nothing is revoked', async () => {
    const res = await fetch(`${base}/admin/revocations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: JSON.stringify({ kind: 'jti', value: 'victim' }) });
    assert.equal(res.status, 401);
    assert.equal(await isRevoked(store, { jti: 'victim' }), false);
  });

  test('attack: a prefix of the admin token, or the token with a character changed or added, is 401', async () => {
    for (const token of [TOKEN.slice(0, 1), TOKEN.slice(0, -1), `${TOKEN.slice(0, -1)}X`, `${TOKEN}0`, TOKEN.toUpperCase()]) {
      const res = await fetch(`${base}/admin/revocations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ kind: 'jti', value: 'victim-2' }) });
      assert.equal(res.status, 401, token);
    }
    assert.equal(await isRevoked(store, { jti: 'victim-2' }), false);
  });
});
