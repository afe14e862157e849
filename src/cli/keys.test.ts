import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysCommand, parseDuration, type CliIo } from './keys.js';
import { hashSecret, parseApiKey, readKeysFile } from '../stages/authn/providers/api-key/index.js';

const PEPPER = 'x'.repeat(32);
function io(now = Date.parse('2026-01-01T00:00:00Z')) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { out: (s) => out.push(s), err: (s) => err.push(s), env: { PCL_PEPPER: PEPPER }, now: () => now };
  return { value, out, err };
}

test('create prints the key once and stores only its HMAC', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pcl-keys-')), 'keys.yaml');
  const o = io();
  assert.equal(await keysCommand(['create', '--file', file, '--client', 'billing', '--scopes', 'read,write', '--expires', '30d', '--tier', 'gold', '--pepper-env', 'PCL_PEPPER'], o.value), 0);
  const key = o.out.join('').trim();
  const parsed = parseApiKey(key);
  assert.ok(parsed);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(parsed.secret), 'the secret must not be stored');
  const [entry] = readKeysFile(file).keys;
  assert.equal(entry?.id, parsed.id);
  assert.equal(entry?.hash, hashSecret(PEPPER, parsed.secret));
  assert.deepEqual(entry?.scopes, ['read', 'write']);
  assert.equal(entry?.tier, 'gold');
  assert.equal(entry?.expiresAt, '2026-01-31T00:00:00.000Z');
});

test('rotate adds a key with the same grants and bounds the old ones by the overlap', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pcl-keys-')), 'keys.json');
  const o = io();
  await keysCommand(['create', '--file', file, '--client', 'billing', '--scopes', 'read', '--pepper-env', 'PCL_PEPPER'], o.value);
  const o2 = io();
  assert.equal(await keysCommand(['rotate', '--file', file, '--client', 'billing', '--overlap', '2d', '--pepper-env', 'PCL_PEPPER'], o2.value), 0);
  const keys = readKeysFile(file).keys;
  assert.equal(keys.length, 2);
  assert.equal(keys[0]?.expiresAt, '2026-01-03T00:00:00.000Z');
  assert.deepEqual(keys[1]?.scopes, ['read']);
  assert.equal(keys[1]?.expiresAt, undefined);
  assert.notEqual(o.out.join(''), o2.out.join(''));
  assert.ok(JSON.parse(readFileSync(file, 'utf8')).keys);
});

test('revoke flags the key; list shows states; bad usage exits 1', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pcl-keys-')), 'keys.yaml');
  const o = io();
  await keysCommand(['create', '--file', file, '--client', 'a', '--pepper-env', 'PCL_PEPPER'], o.value);
  const id = parseApiKey(o.out.join('').trim())!.id;
  assert.equal(await keysCommand(['revoke', '--file', file, '--id', id], io().value), 0);
  const l = io();
  await keysCommand(['list', '--file', file], l.value);
  assert.match(l.out.join(''), new RegExp(`^${id}\\ta\\trevoked`));
  assert.equal(await keysCommand(['revoke', '--file', file, '--id', 'nosuchkey1'], io().value), 1);
  assert.equal(await keysCommand(['create', '--file', file, '--client', 'a'], { ...io().value, env: {} }), 1, 'no pepper');
  assert.equal(await keysCommand(['create', '--file', file], io().value), 1);
  assert.equal(await keysCommand(['frobnicate', '--file', file], io().value), 1);
  assert.throws(() => parseDuration('30 days'));
});
