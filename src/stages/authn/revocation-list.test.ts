import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/index.js';
import { isRevoked } from './revocation.js';
import { listRevocations, revoke, unrevoke } from './revocation-list.js';

test('revoke writes the key the verifiers check, and lists it; unrevoke lifts it and drops it from the list', async () => {
  const store = new MemoryStore({ maxKeys: 1000 });
  await revoke(store, { kind: 'jti', value: 'j1' }, 60_000);
  const sub = await revoke(store, { kind: 'subject', value: 'alice', issuer: 'https://idp' });
  const key = await revoke(store, { kind: 'api-key', value: 'abcdef0123456789' });
  assert.ok(await isRevoked(store, { jti: 'j1' }));
  assert.ok(await isRevoked(store, { issuer: 'https://idp', subject: 'alice' }));
  assert.equal(sub.expiresAt !== undefined, true, 'subject revocations expire by default (30 days)');
  assert.equal(key.expiresAt, undefined, 'API key revocations last until lifted');
  assert.deepEqual((await listRevocations(store)).map((e) => `${e.kind}:${e.value}`), ['api-key:abcdef0123456789', 'subject:alice', 'jti:j1']);

  assert.equal(await unrevoke(store, { kind: 'jti', value: 'j1' }), true);
  assert.equal(await unrevoke(store, { kind: 'jti', value: 'j1' }), false);
  assert.equal(await isRevoked(store, { jti: 'j1' }), false);
  assert.deepEqual((await listRevocations(store)).map((e) => e.value), ['abcdef0123456789', 'alice']);
});

test('revoking the same target twice lists it once (the newest record)', async () => {
  const store = new MemoryStore({ maxKeys: 1000 });
  await revoke(store, { kind: 'jti', value: 'j2' }, 1_000);
  await revoke(store, { kind: 'jti', value: 'j2' }, 120_000);
  const listed = await listRevocations(store);
  assert.equal(listed.length, 1);
  assert.ok(Date.parse(listed[0]!.expiresAt!) - Date.parse(listed[0]!.revokedAt) === 120_000);
});

test('the subject of one issuer is not the same subject of another', async () => {
  const store = new MemoryStore({ maxKeys: 1000 });
  await revoke(store, { kind: 'subject', value: 'bob', issuer: 'https://a' });
  await revoke(store, { kind: 'subject', value: 'bob', issuer: 'https://b' });
  await unrevoke(store, { kind: 'subject', value: 'bob', issuer: 'https://a' });
  assert.deepEqual((await listRevocations(store)).map((e) => e.issuer), ['https://b']);
});
