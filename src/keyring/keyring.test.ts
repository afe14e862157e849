import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { startVaultStub, type VaultStub } from '../../test/helpers/vault.js';
import { KeyringKeySchema, type KeyringKeyConfig } from './schema.js';
import { parseVersions, resolveKeyring, VaultClient } from './index.js';

const k32 = () => randomBytes(32).toString('base64');
const key = (over: Partial<KeyringKeyConfig>): KeyringKeyConfig => ({ ...Value.Default(KeyringKeySchema, {}) as KeyringKeyConfig, ...over });

describe('keyring: stored values', () => {
  test('one bare value is version 1; "<version>:<key>" entries give several, newest first', () => {
    const a = k32();
    const b = k32();
    assert.deepEqual(parseVersions(a, 'base64', 1).map((v) => v.version), [1]);
    assert.deepEqual(parseVersions(`1:${a}\n3:${b}\n`, 'base64', 1).map((v) => v.version), [3, 1]);
    assert.deepEqual(Buffer.from(parseVersions(`1:${a} 3:${b}`, 'base64', 1)[0]!.key).toString('base64'), b);
  });

  test('malformed values are refused without quoting them', () => {
    const secret = 'not*base64*secret';
    assert.throws(() => parseVersions(secret, 'base64', 1), (e: Error) => e.message === 'is not valid base64');
    assert.throws(() => parseVersions(`1:${k32()} 1:${k32()}`, 'base64', 1), /lists version 1 twice/);
    assert.throws(() => parseVersions(`${k32()} ${k32()}`, 'base64', 1), /holds several values/);
    assert.throws(() => parseVersions('zz', 'hex', 1), (e: Error) => !e.message.includes('zz'));
  });
});

describe('keyring: sources', () => {
  let vault: VaultStub;
  before(async () => { vault = await startVaultStub(); });
  after(async () => { await vault.close(); });

  test('env, file and Vault keys resolve with kids <name>.v<version>; older Vault versions stay usable up to `versions`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-keyring-'));
    const [f1, f2] = [k32(), k32()];
    writeFileSync(join(dir, 'pii.key'), `2:${f2}\n1:${f1}\n`);
    const v = [k32(), k32(), k32(), k32()];
    for (const x of v) vault.put('app/fle', { value: x, other: 'kept' });
    vault.deleteVersion('app/fle', 2);
    const client = new VaultClient({ address: vault.url, token: vault.token, mount: 'secret', timeoutMs: 5000 });
    const { keyring, problems, files } = await resolveKeyring({ keys: {
      fromenv: key({ env: 'PCL_TEST_KEY', length: 32 }),
      fromfile: key({ file: 'pii.key' }),
      fromvault: key({ vault: 'app/fle', versions: 3, rotationDays: 30 }),
    } }, { env: { PCL_TEST_KEY: k32() }, baseDir: dir, vault: client });
    assert.deepEqual(problems, []);
    assert.deepEqual(files, [join(dir, 'pii.key')]);
    assert.equal(keyring.current('fromenv').kid, 'fromenv.v1');
    assert.equal(keyring.current('fromfile').kid, 'fromfile.v2');
    assert.equal(Buffer.from(keyring.byKid('fromfile.v1')!.key).toString('base64'), f1);
    assert.equal(keyring.current('fromvault').kid, 'fromvault.v4');
    // Version 2 was deleted in Vault: the overlap is v4, v3 and v1.
    const info = keyring.list().find((k) => k.name === 'fromvault')!;
    assert.deepEqual(info.versions.map((x) => x.kid), ['fromvault.v4', 'fromvault.v3', 'fromvault.v1']);
    assert.equal(info.current.createdAt, '2026-01-04T00:00:00.000Z');
    assert.equal(Buffer.from(keyring.byKid('fromvault.v3')!.key).toString('base64'), v[2]);
    assert.equal(keyring.byKid('fromvault.v2'), undefined);
    assert.ok(vault.requests.every((r) => r.authorized), 'every read carried the token');
    // Names and kids only, never bytes, however the keyring is printed.
    for (const shown of [JSON.stringify(keyring), inspect(keyring, { depth: 10, showHidden: true }), String(keyring)]) {
      for (const x of [...v, f1, f2]) assert.equal(shown.includes(x), false, shown);
    }
  });

  test('each broken key is one problem at its own source, without its value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-keyring-'));
    writeFileSync(join(dir, 'short.key'), randomBytes(16).toString('base64'));
    const bad = new VaultClient({ address: vault.url, token: 'wrong-token', mount: 'secret', timeoutMs: 5000 });
    const { problems, keyring } = await resolveKeyring({ keys: {
      none: key({}),
      both: key({ env: 'A', file: 'x' }),
      unset: key({ env: 'PCL_UNSET_VAR' }),
      short: key({ file: 'short.key', length: 32 }),
      missing: key({ file: 'nope.key' }),
      denied: key({ vault: 'app/fle' }),
    } }, { env: {}, baseDir: dir, vault: bad });
    assert.deepEqual(problems.map((p) => [p.path.join('.'), p.message]), [
      ['keyring.keys.none', 'needs one source: vault, env or file'],
      ['keyring.keys.both', 'has env and file: give exactly one source'],
      ['keyring.keys.unset.env', 'environment variable PCL_UNSET_VAR is not set'],
      ['keyring.keys.short.file', 'version 1 is 16 bytes; length requires 32'],
      ['keyring.keys.missing.file', 'nope.key: file not found'],
      ['keyring.keys.denied.vault', 'vault app/fle: permission denied (403): check the token and its policy'],
    ]);
    assert.deepEqual(keyring.list(), []);
  });

  test('an unreachable Vault is a problem, not a hang', async () => {
    const down = new VaultClient({ address: 'http://127.0.0.1:1', token: 't', mount: 'secret', timeoutMs: 2000 });
    const { problems } = await resolveKeyring({ keys: { k: key({ vault: 'a/b' }) } }, { env: {}, baseDir: '/', vault: down });
    assert.match(problems[0]!.message, /^vault a\/b: (connection refused|timed out)/);
  });
});
