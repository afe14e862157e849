import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointSignatureValid, loadSigner, signCheckpoint } from './checkpoint.js';
import { canonicalJson, chainRecord, GENESIS_HASH, recordHash } from './record.js';
import { redactDetail } from './redact.js';

test('canonical JSON sorts keys at every level, has no whitespace and omits undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true }, u: undefined, e: 'é"' }), '{"a":{"c":true,"d":[1,"x",null]},"b":1,"e":"é\\""}');
  assert.throws(() => canonicalJson({ n: Number.NaN }), /non-finite/);
  assert.throws(() => canonicalJson({ b: 1n }), /unsupported bigint/);
});

test('the record hash is SHA-256 over the previous hash bytes then the canonical JSON', () => {
  const r = { seq: 1, time: '2026-01-01T00:00:00.000Z', instance: 'gw', kind: 'k', principal: 'p', detail: { z: 1, a: 2 } };
  const expected = createHash('sha256').update(Buffer.alloc(32))
    .update('{"detail":{"a":2,"z":1},"instance":"gw","kind":"k","principal":"p","seq":1,"time":"2026-01-01T00:00:00.000Z"}').digest('hex');
  assert.equal(recordHash(GENESIS_HASH, r), expected);
  const chained = chainRecord(GENESIS_HASH, r);
  assert.equal(chained.hash, expected);
  assert.notEqual(recordHash(GENESIS_HASH, { ...r, seq: 2 }), expected);
  assert.notEqual(recordHash(expected, r), expected);
});

test('a generated signing key is ed25519, mode 0600, and reused on the next start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-key-'));
  const file = join(dir, 'data', 'key.pem');
  assert.throws(() => loadSigner(file, { create: false }), /not found/);
  const a = loadSigner(file, { create: true });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
  const b = loadSigner(file, { create: false });
  assert.deepEqual(a.publicKey.export({ format: 'jwk' }), b.publicKey.export({ format: 'jwk' }));
  assert.match(readFileSync(file, 'utf8'), /BEGIN PRIVATE KEY/);
});

test('a non-ed25519 key file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-key-'));
  const file = join(dir, 'rsa.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.throws(() => loadSigner(file, { create: false }), /not ed25519/);
});

test('a checkpoint signature covers every field', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const cp = signCheckpoint({ privateKey, publicKey }, { instance: 'gw', seq: 5, hash: 'ab'.repeat(32), time: 't', kind: 'periodic' });
  assert.equal(checkpointSignatureValid(publicKey, cp), true);
  for (const change of [{ seq: 6 }, { hash: 'cd'.repeat(32) }, { instance: 'other' }, { time: 'u' }, { kind: 'retention' as const }, { signature: 'AAAA' }]) {
    assert.equal(checkpointSignatureValid(publicKey, { ...cp, ...change }), false, JSON.stringify(change));
  }
  const other = generateKeyPairSync('ed25519');
  assert.equal(checkpointSignatureValid(other.publicKey, cp), false);
});

test('detail redaction hides secret-looking and configured keys and bounds size', () => {
  const d = redactDetail({
    token: 'abc', Authorization: 'Bearer x', nested: { apiKey: 'k', client_secret: 's', ok: 'v', ssn: '123' },
    long: 'x'.repeat(5000), fn: () => 1, inf: Number.POSITIVE_INFINITY, err: new Error('boom'),
  }, ['SSN']);
  assert.deepEqual(d['nested'], { apiKey: '[REDACTED]', client_secret: '[REDACTED]', ok: 'v', ssn: '[REDACTED]' });
  assert.equal(d['token'], '[REDACTED]');
  assert.equal(d['Authorization'], '[REDACTED]');
  assert.equal((d['long'] as string).length, 1025);
  assert.equal('fn' in d, false);
  assert.equal(d['inf'], 'Infinity');
  assert.equal(d['err'], 'boom');
  assert.doesNotThrow(() => canonicalJson(d));
});
