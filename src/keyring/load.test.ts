import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVaultStub, type VaultStub } from '../../test/helpers/vault.js';
import { ConfigError, formatIssue, loadConfig } from '../config/load.js';
import { compileRuntime } from '../runtime/compile.js';
import { generateKeyPairSync } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { auditLocation, openSigner } from '../observability/audit/open.js';
import { InternalTokenSchema, type InternalTokenConfig } from '../stages/authn/internal-token/schema.js';
import { internalTokenSigner } from '../stages/authn/internal-token/signer.js';

const API = 'apis:\n  - name: demo\n    upstream: http://127.0.0.1:9\n    prefixes: [/]\n';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-keyring-load-'));
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, text);
  return file;
}

async function issues(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: string; lines: string[] }> {
  try {
    await compileRuntime(await loadConfig(file, env));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { code: err.code, lines: err.issues.map((i) => formatIssue(i).replace(`${file}`, 'F')) };
  }
  return assert.fail('expected a ConfigError');
}

describe('keyring in the config: ${vault:...} references and keyring.keys', () => {
  let vault: VaultStub;
  before(async () => {
    vault = await startVaultStub();
    vault.put('gw/admin', { token: 'admin-token-from-vault-0123456789abcdef' });
    vault.put('gw/fle', { value: randomBytes(32).toString('base64') });
  });
  after(async () => { await vault.close(); });
  const head = () => `keyring:\n  vault:\n    address: ${vault.url}\n    token: \${VT}\n`;

  test('a ${vault:path#field} reference works in any setting and is treated as a secret', async () => {
    const loaded = await loadConfig(write(`${head()}admin:\n  token: \${vault:gw/admin#token}\n${API}`), { VT: vault.token });
    assert.equal(loaded.config.admin.token, 'admin-token-from-vault-0123456789abcdef');
    assert.ok(loaded.secretPaths.has('admin.token'));
    assert.ok(loaded.secretPaths.has('keyring.vault.token'));
  });

  test('file-path key settings (audit signingKey, internal-token keyFile) also take the PEM itself, so Vault can supply them; errors never quote it', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    vault.put('gw/audit', { pem });
    const loaded = await loadConfig(write(`${head()}audit:\n  signingKey: \${vault:gw/audit#pem}\n${API}`), { VT: vault.token });
    assert.equal(loaded.config.audit.signingKey, pem);
    const loc = auditLocation(loaded.config.audit, loaded.baseDir);
    assert.equal(loc.keyFile, '(inline PEM)');
    assert.equal(openSigner(loaded.config.audit, loc, { create: false }).publicKey.asymmetricKeyType, 'ed25519');
    const it = (keyFile: string, algorithm = 'EdDSA') => internalTokenSigner(Value.Default(InternalTokenSchema, { audience: 'up', keyFile, algorithm }) as InternalTokenConfig, tmpdir());
    assert.equal(it(pem).jwk.crv, 'Ed25519');
    assert.throws(() => it(pem, 'ES256'), (e: Error) => e.message.startsWith('internalToken.keyFile (inline PEM): a ed25519 key cannot sign ES256') && !e.message.includes('PRIVATE'));
    const broken = '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----';
    assert.throws(() => it(broken), (e: Error) => e.message.startsWith('internalToken.keyFile (inline PEM): not a readable PEM private key') && !e.message.includes('not-a-key'));
    assert.throws(() => openSigner({ ...loaded.config.audit, signingKey: broken }, loc, { create: false }), (e: Error) => e.message === 'audit signing key (inline PEM): not a readable PEM private key');
  });

  test('bad references and bad keys are reported at their line, one issue each', async () => {
    const file = write(`${head()}  keys:
    fle: { vault: gw/fle, length: 32 }
    gone: { vault: gw/none }
    short: { vault: gw/fle, length: 16 }
admin:
  token: \${vault:gw/admin#nofield}
${API}`);
    const r = await issues(file, { VT: vault.token });
    assert.deepEqual(r.lines, [
      'F:7 keyring.keys.gone.vault: vault gw/none: no such secret',
      'F:8 keyring.keys.short.vault: version 1 is 32 bytes; length requires 16',
      'F:10 admin.token: vault gw/admin has no string field "nofield"',
    ]);
    const only = await issues(write(`${head()}  keys:\n    gone: { vault: gw/none }\n${API}`), { VT: vault.token });
    assert.equal(only.code, 'PCL_ERR_KEYRING');
  });

  test('without keyring.vault, or inside it, a ${vault:} reference is an interpolation problem; a wrong token is a 403 message', async () => {
    const none = await issues(write(`admin:\n  token: \${vault:gw/admin#token}\n${API}`));
    assert.deepEqual(none.lines, ['F:2 admin.token: ${vault:gw/admin#token} needs keyring.vault (address and token)']);
    assert.equal(none.code, 'PCL_ERR_CONFIG_INTERPOLATION');
    const inside = await issues(write(`keyring:\n  vault:\n    address: ${vault.url}\n    token: \${vault:gw/admin#token}\n${API}`));
    assert.match(inside.lines[0]!, /^F:4 keyring\.vault\.token: \$\{vault:gw\/admin#token\} needs keyring\.vault/);
    const denied = await issues(write(`${head()}admin:\n  token: \${vault:gw/admin#token}\n${API}`), { VT: 'wrong' });
    assert.deepEqual(denied.lines, ['F:6 admin.token: vault gw/admin: permission denied (403): check the token and its policy']);
  });

  test('the schema checks keyring settings with file:line', async () => {
    const r = await issues(write(`keyring:
  keys:
    Bad_Name: { env: X }
    ok: { env: X, versions: 0, encoding: rot13, colour: blue }
${API}`));
    assert.deepEqual(r.lines, [
      'F:3 keyring.keys.Bad_Name: unknown key "Bad_Name" (keys must match ^[a-z][a-z0-9-]*$)',
      'F:4 keyring.keys.ok.versions: must be >= 1',
      'F:4 keyring.keys.ok.encoding: must be one of: base64, base64url, hex, utf8',
      'F:4 keyring.keys.ok.colour: unknown key "colour"; valid keys: vault, env, file, encoding, length, versions, rotationDays',
    ]);
  });

  test('a field-encryption stage naming a key the keyring lacks, or a bad pointer, fails to compile at the stage', async () => {
    const r = await issues(write(`keyring:\n  keys:\n    fle: { env: FLE }\n${API}    stages:\n      field-encryption: { key: other, fields: [/ssn] }\n`), { FLE: randomBytes(32).toString('base64') });
    assert.deepEqual(r.lines, ['F:9 apis[0].stages.field-encryption: key "other" is not in keyring.keys (or could not be read)']);
    const p = await issues(write(`keyring:\n  keys:\n    fle: { env: FLE }\n${API}    stages:\n      field-encryption: { key: fle, fields: [ssn] }\n`), { FLE: randomBytes(32).toString('base64') });
    assert.match(p.lines[0]!, /^F:9 apis\[0\]\.stages\.field-encryption\.fields\[0\]: /);
  });
});
