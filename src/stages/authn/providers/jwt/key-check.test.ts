import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { classifyJwk, classifyKeyObject } from './key-check.js';

const jwkOf = (bits: number): JWK => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }) as JWK;

test('RSA keys: 2048 bits and more are usable; fewer are weak_key with the size', () => {
  assert.equal(classifyJwk(jwkOf(2048)), undefined);
  assert.deepEqual(classifyJwk(jwkOf(1024)), { reason: 'weak_key', detail: 'RSA key of 1024 bits (at least 2048)' });
  assert.equal(classifyJwk({ kty: 'RSA', e: 'AQAB' })?.reason, 'weak_key', 'no modulus at all');
  // A leading zero byte does not count towards the size.
  const n = Buffer.concat([Buffer.from([0]), Buffer.from(jwkOf(1024).n!, 'base64url')]).toString('base64url');
  assert.equal(classifyJwk({ kty: 'RSA', e: 'AQAB', n })?.detail, 'RSA key of 1024 bits (at least 2048)');
});

test('private, symmetric, unknown type, curve or algorithm: unsupported_key', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.equal(classifyJwk(ec.publicKey.export({ format: 'jwk' }) as JWK), undefined);
  assert.equal(classifyJwk(ec.privateKey.export({ format: 'jwk' }) as JWK)?.reason, 'unsupported_key');
  assert.equal(classifyJwk({ kty: 'oct', k: 'c2VjcmV0' })?.reason, 'unsupported_key');
  assert.equal(classifyJwk({ kty: 'XYZ' })?.detail, 'unknown key type "XYZ"');
  assert.equal(classifyJwk({ ...(ec.publicKey.export({ format: 'jwk' }) as JWK), crv: 'P-192' })?.detail, 'unsupported curve "P-192" for EC');
  assert.equal(classifyJwk({ ...jwkOf(2048), alg: 'HS256' })?.detail, 'unsupported algorithm "HS256"');
  const ed = generateKeyPairSync('ed25519');
  assert.equal(classifyJwk(ed.publicKey.export({ format: 'jwk' }) as JWK), undefined);
});

test('PEM keys: a small RSA key is weak, a DSA key unsupported, EC and Ed25519 fine', () => {
  assert.equal(classifyKeyObject(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)?.reason, 'weak_key');
  assert.equal(classifyKeyObject(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey), undefined);
  assert.equal(classifyKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), undefined);
  assert.equal(classifyKeyObject(generateKeyPairSync('ed25519').publicKey), undefined);
  const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey;
  assert.equal(classifyKeyObject(createPublicKey(dsa.export({ type: "spki", format: "pem" })))?.reason, 'unsupported_key');
});
