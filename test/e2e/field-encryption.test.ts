import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { startVaultStub, type VaultStub } from '../helpers/vault.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const ISS = 'https://idp.example';
const JWT_SECRET_1 = 'fle-e2e-jwt-secret-version-one-0123456789';
const JWT_SECRET_2 = 'fle-e2e-jwt-secret-version-two-9876543210';
const SSN = '123-45-6789';

const OPENAPI = bearerOpenApi('customers', `  /customers:
    get: { operationId: listCustomers, responses: { '200': { description: ok } } }
    post: { operationId: createCustomer, responses: { '201': { description: created } } }
  /customers/{id}:
    get:
      operationId: getCustomer
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: ok } }
`);

const config = (up: string, vault: VaultStub, fleSecret = 'portcullis/fle') => `${E2E_PREAMBLE}keyring:
  vault:
    address: ${vault.url}
    token: \${VAULT_TOKEN}
  keys:
    customer-pii:
      vault: ${fleSecret}
      length: 32
      versions: 3
      rotationDays: 90
apis:
  - name: customers
    upstream: ${up}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers: [{ issuer: "${ISS}", audiences: [customers], algorithms: [HS256], secret: "\${vault:portcullis/jwt#secret}" }]
      field-encryption:
        key: customer-pii
        fields: [/ssn, /card/number]
        decryptRoles: [support]
    operations:
      listCustomers:
        stages:
          field-encryption: { fields: ['/*/ssn'], others: remove }
`;

const token = (roles: string[], secret: string) => new SignJWT({ iss: ISS, aud: 'customers', sub: `u-${roles.join('-')}`, roles, exp: Math.floor(Date.now() / 1000) + 300 })
  .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

const kidOf = (jwe: string) => (JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('field-level encryption with a Vault-backed keyring, through a real gateway', () => {
  let up: FakeUpstream;
  let vault: VaultStub;
  let gw: GatewayProcess;
  let file: string;
  let jwtSecret = JWT_SECRET_1;
  const records = new Map<string, Record<string, unknown>>();
  const env = () => ({ VAULT_TOKEN: vault.token });
  const call = async (method: string, path: string, roles: string[], body?: unknown) => {
    const res = await fetch(`${gw.url}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${await token(roles, jwtSecret)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> };
  };
  const reload = async () => {
    const count = gw.logs.filter((l) => l.msg === 'config reloaded' || l.msg === 'config reload failed').length;
    gw.child.kill('SIGHUP');
    const deadline = Date.now() + 30_000;
    while (gw.logs.filter((l) => l.msg === 'config reloaded' || l.msg === 'config reload failed').length === count) {
      if (Date.now() > deadline) throw new Error(`no reload outcome; stderr: ${gw.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return gw.logs.filter((l) => l.msg === 'config reloaded' || l.msg === 'config reload failed').at(-1)!;
  };

  before(async () => {
    vault = await startVaultStub();
    vault.put('portcullis/jwt', { secret: JWT_SECRET_1 });
    vault.put('portcullis/fle', { value: randomBytes(32).toString('base64') });
    up = await startUpstream((req, res, body) => {
      const send = (status: number, data: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(data)); };
      if (req.method === 'POST') {
        const id = String(records.size + 1);
        const record = { id, ...(JSON.parse(body.toString()) as Record<string, unknown>) };
        records.set(id, record);
        return send(201, record);
      }
      if (req.url === '/v1/customers') return send(200, [...records.values()]);
      const record = records.get(req.url!.split('/').at(-1)!);
      return record === undefined ? send(404, {}) : send(200, record);
    });
    ({ file } = writeConfig(config(up.url, vault), { 'openapi.yaml': OPENAPI }));
    gw = await startGatewayProcess(file, { env: env() });
  });
  after(async () => { await gw?.stop(); await up?.close(); await vault?.close(); });

  test('the upstream receives the named fields as JWE (dir, A256GCM, kid), never in clear', async () => {
    const created = await call('POST', '/customers', ['user'], { name: 'Ann', ssn: SSN, card: { number: '4111111111111111', brand: 'visa' } });
    assert.equal(created.status, 201, created.text);
    const seen = up.seen.at(-1)!;
    const sent = JSON.parse(seen.body.toString()) as { name: string; ssn: string; card: { number: string; brand: string } };
    assert.equal(seen.body.toString().includes(SSN), false, 'no plaintext SSN upstream');
    assert.equal(seen.body.toString().includes('4111111111111111'), false, 'no plaintext card upstream');
    assert.equal(seen.headers['content-length'], String(seen.body.length));
    assert.equal(sent.name, 'Ann');
    assert.equal(sent.card.brand, 'visa');
    const header = JSON.parse(Buffer.from(sent.ssn.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    assert.deepEqual(header, { alg: 'dir', enc: 'A256GCM', kid: 'customer-pii.v1', cty: 'json' });
    // The creator (role user) sees the echo masked: only support reads the fields.
    assert.equal(created.json!.ssn, '[ENCRYPTED]');
  });

  test('a permitted role reads plaintext; another role gets the field masked, or removed where configured', async () => {
    const support = await call('GET', '/customers/1', ['support']);
    assert.equal(support.status, 200);
    assert.equal(support.json!.ssn, SSN);
    assert.deepEqual(support.json!.card, { number: '4111111111111111', brand: 'visa' });
    const user = await call('GET', '/customers/1', ['user']);
    assert.equal(user.json!.ssn, '[ENCRYPTED]');
    assert.deepEqual(user.json!.card, { number: '[ENCRYPTED]', brand: 'visa' });
    assert.equal(user.text.includes(SSN), false);
    const list = await call('GET', '/customers', ['user']);
    assert.equal(list.status, 200);
    assert.deepEqual((list.json as unknown as Record<string, unknown>[]).map((r) => 'ssn' in r), [false]);
    const listSupport = await call('GET', '/customers', ['support']);
    assert.equal((listSupport.json as unknown as { ssn: string }[])[0]!.ssn, SSN);
  });

  test('attack: a body that is not JSON is refused with 400 PCL_FLE_BODY_INVALID and never forwarded', async () => {
    const before = up.seen.length;
    const r = await call('POST', '/customers', ['user'], `ssn=${SSN}`);
    assert.equal(r.status, 400);
    assert.equal(r.json!.code, 'PCL_FLE_BODY_INVALID');
    assert.equal(up.seen.length, before);
  });

  test('attack: a tampered ciphertext in the upstream\'s data is masked for a permitted role (200, not 5xx) with a data.decrypt_failed event', async () => {
    const record = records.get('1')!;
    const good = record.ssn as string;
    const parts = good.split('.');
    parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    records.set('99', { ...record, id: '99', ssn: parts.join('.') });
    const r = await call('GET', '/customers/99', ['support']);
    assert.equal(r.status, 200);
    assert.equal(r.json!.ssn, '[ENCRYPTED]');
    assert.equal((r.json!.card as { number: string }).number, '4111111111111111', 'the intact field still decrypts');
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'data.decrypt_failed');
    assert.equal(event.reason, 'tampered');
    records.delete('99');
  });

  test('rotation: keys rotate --keyring writes Vault version 2; after a reload new writes use the new kid, old ciphertext still decrypts, and a rotated JWT secret is picked up', async () => {
    const listed = await runCli(['keys', 'list', '--keyring', file], env());
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^customer-pii\tcustomer-pii\.v1\tvault:portcullis\/fle#value\t\d+d\t(\d{4}-\d\d-\d\d|due)\tcustomer-pii\.v1$/m);
    const rotated = await runCli(['keys', 'rotate', '--keyring', file, '--key', 'customer-pii'], env());
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(rotated.stdout, 'customer-pii: new current kid customer-pii.v2\n');
    assert.equal(vault.versions('portcullis/fle').length, 2);
    for (const v of vault.versions('portcullis/fle')) {
      assert.equal(rotated.stdout.includes(v.data.value!) || rotated.stderr.includes(v.data.value!), false, 'the key is never printed');
    }
    // The gateway has not reloaded yet: writes still use v1.
    await call('POST', '/customers', ['user'], { name: 'Bo', ssn: '111-22-3333' });
    assert.equal(kidOf((JSON.parse(up.seen.at(-1)!.body.toString()) as { ssn: string }).ssn), 'customer-pii.v1');

    vault.put('portcullis/jwt', { secret: JWT_SECRET_2 });
    const outcome = await reload();
    assert.equal(outcome.msg, 'config reloaded', JSON.stringify(outcome));
    const oldToken = await call('GET', '/customers/1', ['support']);
    assert.equal(oldToken.status, 401, 'a token signed with the replaced JWT secret is refused after the reload');
    jwtSecret = JWT_SECRET_2;

    await call('POST', '/customers', ['user'], { name: 'Cy', ssn: '444-55-6666' });
    assert.equal(kidOf((JSON.parse(up.seen.at(-1)!.body.toString()) as { ssn: string }).ssn), 'customer-pii.v2');
    for (const [id, ssn] of [['1', SSN], ['2', '111-22-3333'], ['3', '444-55-6666']] as const) {
      const r = await call('GET', `/customers/${id}`, ['support']);
      assert.equal(r.json!.ssn, ssn, `record ${id}`);
    }
    const after = await runCli(['keys', 'list', '--keyring', file], env());
    assert.match(after.stdout, /^customer-pii\tcustomer-pii\.v2\t.*\tcustomer-pii\.v2,customer-pii\.v1$/m);
  });

  test('fle reencrypt moves stored records to the current kid; the gateway still reads them', async () => {
    const lines = [...records.values()].map((r) => JSON.stringify(r)).join('\n');
    writeFileSync(`${file}.jsonl`, `${lines}\n`);
    const r = await runCli(['fle', 'reencrypt', '-c', file, '--key', 'customer-pii', '--in', `${file}.jsonl`, '--out', `${file}.v2.jsonl`], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^3 records: 3 fields re-encrypted under customer-pii\.v2, 1 already current, 0 encrypted from clear$/m);
    const out = readFileSync(`${file}.v2.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(out.map((o) => kidOf(o.ssn as string)), ['customer-pii.v2', 'customer-pii.v2', 'customer-pii.v2']);
    assert.equal(kidOf((out[0]!.card as { number: string }).number), 'customer-pii.v2');
    for (const o of out) records.set(o.id as string, o);
    const read = await call('GET', '/customers/1', ['support']);
    assert.equal(read.json!.ssn, SSN);
  });

  test('a bad keyring config is refused on reload with file:line, and the old config keeps serving', async () => {
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('vault: portcullis/fle', 'vault: portcullis/missing'));
    const outcome = await reload();
    assert.equal(outcome.msg, 'config reload failed');
    const line = good.split('\n').findIndex((l) => l.includes('vault: portcullis/fle')) + 1;
    assert.match(String(outcome.error), new RegExp(`portcullis\\.yaml:${line} keyring\\.keys\\.customer-pii\\.vault: vault portcullis/missing: no such secret`));
    const r = await call('GET', '/customers/2', ['support']);
    assert.equal(r.status, 200);
    assert.equal(r.json!.ssn, '111-22-3333');
    writeFileSync(file, good);
    assert.equal(JSON.stringify(gw.logs).includes(JWT_SECRET_2), false, 'no log line carries a Vault secret');
    assert.equal(JSON.stringify(gw.logs).includes(vault.token), false, 'nor the Vault token');
  });
});
