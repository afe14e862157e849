import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { startVaultStub } from '../helpers/vault.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const ISS = 'https://idp.example';
const OPENAPI = bearerOpenApi('notes', `  /notes:
    post: { operationId: createNote, responses: { '200': { description: ok } } }
`);

const sign = (secret: string) => new SignJWT({ iss: ISS, aud: 'notes', sub: 'ann', roles: ['writer'], exp: Math.floor(Date.now() / 1000) + 300 })
  .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

async function reloadOutcome(gw: GatewayProcess, trigger: () => void): Promise<Record<string, unknown>> {
  const done = (l: Record<string, unknown>) => l.msg === 'config reloaded' || l.msg === 'config reload failed';
  const count = gw.logs.filter(done).length;
  trigger();
  const deadline = Date.now() + 30_000;
  while (gw.logs.filter(done).length === count) {
    if (Date.now() > deadline) throw new Error(`no reload outcome; stderr: ${gw.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return gw.logs.filter(done).at(-1)!;
}

describe('keyring keys through real gateways', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('a JWT HS secret from a Vault-backed keyring key rotates with an overlap: the previous version keeps verifying until it leaves `versions`', async () => {
    const vault = await startVaultStub();
    cleanup.push(() => vault.close());
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const secrets = [0, 1, 2].map(() => randomBytes(24).toString('base64url'));
    vault.put('portcullis/jwt-hs', { value: secrets[0]! });
    const { file } = writeConfig(`${E2E_PREAMBLE}keyring:
  vault: { address: ${vault.url}, token: "\${VAULT_TOKEN}" }
  keys:
    jwt-hs: { vault: portcullis/jwt-hs, encoding: utf8, versions: 2 }
apis:
  - name: notes
    upstream: ${up.url}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers: [{ issuer: "${ISS}", audiences: [notes], algorithms: [HS256], secretKey: jwt-hs }]
`, { 'openapi.yaml': OPENAPI });
    const gw = await startGatewayProcess(file, { env: { VAULT_TOKEN: vault.token } });
    cleanup.push(() => gw.stop());
    const status = async (secret: string) => (await fetch(`${gw.url}/v1/notes`, { method: 'POST', headers: { authorization: `Bearer ${await sign(secret)}` } })).status;
    assert.equal(await status(secrets[0]!), 200);
    assert.equal(await status(secrets[1]!), 401);

    vault.put('portcullis/jwt-hs', { value: secrets[1]! });
    assert.equal((await reloadOutcome(gw, () => gw.child.kill('SIGHUP'))).msg, 'config reloaded');
    assert.equal(await status(secrets[1]!), 200, 'the new secret verifies');
    assert.equal(await status(secrets[0]!), 200, 'the previous one still does (overlap)');

    vault.put('portcullis/jwt-hs', { value: secrets[2]! });
    assert.equal((await reloadOutcome(gw, () => gw.child.kill('SIGHUP'))).msg, 'config reloaded');
    assert.equal(await status(secrets[2]!), 200);
    assert.equal(await status(secrets[1]!), 200);
    assert.equal(await status(secrets[0]!), 401, 'out of the overlap of 2 versions');
    for (const s of secrets) assert.equal(JSON.stringify(gw.logs).includes(s), false, 'no secret in any log line');
  });

  test('a key file is watched: keys rotate --keyring on a file key is picked up without a signal', async () => {
    const up = await startUpstream((_req, res, body) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body.length > 0 ? body : '{}'); });
    cleanup.push(() => up.close());
    const { file, dir } = writeConfig(`${E2E_PREAMBLE.replace('watch: false', 'watch: true')}keyring:
  keys:
    notes: { file: ./notes.key, length: 32 }
apis:
  - name: notes
    upstream: ${up.url}
    prefixes: [/v1]
    stages:
      field-encryption: { key: notes, fields: [/text] }
`, { 'notes.key': `${randomBytes(32).toString('base64')}\n` });
    const gw = await startGatewayProcess(file);
    cleanup.push(() => gw.stop());
    const kidSent = async () => {
      await fetch(`${gw.url}/v1/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' });
      const jwe = (JSON.parse(up.seen.at(-1)!.body.toString()) as { text: string }).text;
      return (JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    };
    assert.equal(await kidSent(), 'notes.v1');
    const outcome = await reloadOutcome(gw, () => { void runCli(['keys', 'rotate', '--keyring', file, '--key', 'notes']); });
    assert.equal(outcome.msg, 'config reloaded');
    assert.equal(outcome.reason, 'file change');
    assert.deepEqual(readFileSync(join(dir, 'notes.key'), 'utf8').trim().split('\n').map((l) => l.split(':')[0]), ['2', '1']);
    assert.equal(await kidSent(), 'notes.v2');
    // A key file broken by hand: the reload fails at the key's line, the running keys stay.
    writeFileSync(join(dir, 'notes.key'), 'not-base64!\n');
    const failed = await reloadOutcome(gw, () => {});
    assert.equal(failed.msg, 'config reload failed');
    assert.match(String(failed.error), /portcullis\.yaml:\d+ keyring\.keys\.notes\.file: is not valid base64/);
    assert.equal(await kidSent(), 'notes.v2');
  });
});
