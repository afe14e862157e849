import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { createTestCa, pem, type IssuedCert, type TestCa } from '../fixtures/authn-keys/pki.js';
import { E2E_PREAMBLE, tlsConfig } from '../helpers/config.js';
import { httpsRequest } from '../helpers/tls-client.js';

const PEPPER = 'e2e-pepper-0123456789-abcdefghijklmnop';
const ADMIN_TOKEN = 'admin-token-keys-0123456789abcdef';
const env = { PCL_E2E_PEPPER: PEPPER, PCL_E2E_ADMIN: ADMIN_TOKEN };

function gatewayConfig(up: string, allowQuery: boolean): { dir: string; file: string } {
  return writeConfig(`${E2E_PREAMBLE.replace('admin:\n  port: 0\n', 'admin:\n  port: 0\n  token: ${PCL_E2E_ADMIN}\n')}apis:
  - name: books
    upstream: ${up}
    openapi: ./keys-books.yaml
    stages:
      authn:
        schemes:
          apiKey:
            kind: api-key
            file: ./keys.yaml
            pepper: \${PCL_E2E_PEPPER}
            allowQuery: ${allowQuery}
            reloadCheckMs: 0
`, { 'keys-books.yaml': readFileSync(fixture('authn-keys', 'keys-books.yaml'), 'utf8'), 'keys.yaml': 'keys: []\n' });
}

describe('API keys end to end', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let dir: string;
  const keys: Record<string, string> = {};
  const keysFile = () => join(dir, 'keys.yaml');
  const cli = async (...args: string[]) => {
    const r = await runCli(['keys', ...args, '--file', keysFile(), '--pepper-env', 'PCL_E2E_PEPPER'], env);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const get = (path: string, key?: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1${path}`, { headers: { ...(key === undefined ? {} : { 'x-api-key': key }), ...headers } });

  before(async () => {
    up = await startUpstream();
    const cfg = gatewayConfig(up.url, false);
    dir = cfg.dir;
    gw = await startGatewayProcess(cfg.file, { env });
    // Keys are created after start: the gateway picks the file up without a restart.
    keys.good = await cli('create', '--client', 'billing', '--scopes', 'books:read', '--tier', 'gold');
    keys.admin = await cli('create', '--client', 'ops', '--scopes', 'books:read,books:admin');
    keys.revoked = await cli('create', '--client', 'old');
    keys.expired = await cli('create', '--client', 'late', '--expires', '1s');
    keys.elsewhere = await cli('create', '--client', 'remote', '--cidrs', '10.0.0.0/8');
    keys.loopback = await cli('create', '--client', 'local', '--cidrs', '127.0.0.0/8,::1');
    const revokedId = keys.revoked.split('_')[1]!;
    await runCli(['keys', 'revoke', '--file', keysFile(), '--id', revokedId]);
    await new Promise((r) => setTimeout(r, 1100)); // let the 1s key expire
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('a valid key reaches the upstream with the client as principal; the key itself is not forwarded', async () => {
    const before = up.seen.length;
    const res = await get('/books', keys.good);
    assert.equal(res.status, 200);
    const seen = up.seen[before]!;
    assert.equal(seen.headers['x-portcullis-subject'], 'billing');
    assert.equal(seen.headers['x-portcullis-auth-kind'], 'api-key');
  });

  const expect401 = async (res: Response, code: string) => {
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(res.headers.get('www-authenticate') ?? '', /^ApiKey realm=/);
    const body = await res.json() as { code?: string; detail?: string };
    assert.equal(body.code, code);
    return body;
  };

  test('attack: a wrong secret for a real key id is 401, with the same message as any bad key', async () => {
    const id = keys.good!.split('_')[1]!;
    const forged = await expect401(await get('/books', `pcl_${id}_${'A'.repeat(43)}`), 'PCL_AUTHN_INVALID');
    const unknown = await expect401(await get('/books', `pcl_0000000000000000_${'A'.repeat(43)}`), 'PCL_AUTHN_INVALID');
    assert.equal(forged.detail, unknown.detail, 'no oracle between unknown id and wrong secret');
  });

  test('attack: a revoked key is 401', async () => {
    await expect401(await get('/books', keys.revoked), 'PCL_AUTHN_INVALID');
  });

  test('attack: an expired key is 401', async () => {
    await expect401(await get('/books', keys.expired), 'PCL_AUTHN_INVALID');
  });

  test('attack: a key used from outside its allowed CIDRs is 401; inside it works', async () => {
    await expect401(await get('/books', keys.elsewhere), 'PCL_AUTHN_INVALID');
    assert.equal((await get('/books', keys.loopback)).status, 200);
  });

  test('attack: a key in the query string is refused when not allowed', async () => {
    await expect401(await fetch(`${gw.url}/v1/books?api_key=${encodeURIComponent(keys.good!)}`), 'PCL_AUTHN_INVALID');
  });

  test('attack: a repeated X-API-Key header (two good keys, or one twice) is 401 PCL_AUTHN_INVALID, reason ambiguous_credentials', async () => {
    const port = Number(new URL(gw.url).port);
    for (const [first, second] of [[keys.good!, keys.admin!], [keys.good!, keys.good!]]) {
      const res = await rawRequest(port, `GET /v1/books HTTP/1.1\r\nHost: x\r\nX-API-Key: ${first}\r\nX-API-Key: ${second}\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 401, res.raw);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal((JSON.parse(res.body) as { code: string }).code, 'PCL_AUTHN_INVALID');
      const id = res.headers['x-request-id'];
      const line = await gw.waitForLog((l) => l.event === 'authn.failure' && l.reqId === id);
      assert.equal(line.reason, 'ambiguous_credentials');
    }
  });

  test('no key is 401 authentication required; a public operation needs none', async () => {
    await expect401(await get('/books'), 'PCL_AUTHN_REQUIRED');
    assert.equal((await get('/health')).status, 200);
  });

  test('scopes from the key entry decide: 403 without books:admin, 200 with it', async () => {
    assert.equal((await get('/books/1', keys.good)).status, 403);
    assert.equal((await get('/books/1', keys.admin)).status, 200);
  });

  test('rotation: the old and the new key both work during the overlap', async () => {
    const fresh = await cli('rotate', '--client', 'billing', '--overlap', '1d');
    assert.notEqual(fresh, keys.good);
    assert.equal((await get('/books', fresh)).status, 200);
    assert.equal((await get('/books', keys.good)).status, 200);
  });

  test('a keys file that disappears keeps the old keys, and says so: error log, /readyz details, admin status', async () => {
    const status = async () => (await (await fetch(`${gw.adminUrl}/admin/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { credentialFiles: { file: string; reason: string }[] };
    assert.deepEqual((await status()).credentialFiles, []);
    const text = readFileSync(keysFile(), 'utf8');
    renameSync(keysFile(), `${keysFile()}.moved`);
    try {
      assert.equal((await get('/books', keys.good)).status, 200, 'the old keys keep serving');
      const line = await gw.waitForLog((l) => l.event === 'key.file_failed');
      assert.equal(line.level, 'error');
      assert.equal(line.reason, 'missing');
      assert.equal(line.excerpt, keysFile(), 'the log line names the file');
      assert.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /^portcullis_security_events_total\{kind="key\.file_failed",reason="missing"\} 1$/m);
      const ready = await fetch(`${gw.adminUrl}/readyz`);
      assert.equal(ready.status, 200, 'still ready: the old keys serve');
      const body = await ready.json() as { detail: { credentialFiles?: { file: string; reason: string; since: string }[] } };
      assert.deepEqual(body.detail.credentialFiles?.map((f) => [f.file, f.reason]), [[keysFile(), 'missing']]);
      assert.deepEqual((await status()).credentialFiles.map((f) => [f.file, f.reason]), [[keysFile(), 'missing']]);
      // Broken YAML is `invalid`, and its text is never echoed.
      writeFileSync(keysFile(), 'keys: [ {{{ SECRET-MATERIAL');
      await get('/books', keys.good);
      assert.deepEqual((await status()).credentialFiles.map((f) => f.reason), ['invalid']);
      assert.doesNotMatch(JSON.stringify(gw.logs) + JSON.stringify(await status()), /SECRET-MATERIAL/);
    } finally {
      rmSync(`${keysFile()}.moved`, { force: true });
      writeFileSync(keysFile(), text);
    }
    assert.equal((await get('/books', keys.good)).status, 200);
    const healed = await (await fetch(`${gw.adminUrl}/readyz`)).json() as { detail: { credentialFiles?: unknown } };
    assert.equal(healed.detail.credentialFiles, undefined);
    assert.deepEqual((await status()).credentialFiles, []);
  });
});

describe('API keys in the query string when explicitly allowed', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let dir: string;

  before(async () => {
    up = await startUpstream();
    const cfg = gatewayConfig(up.url, true);
    dir = cfg.dir;
    gw = await startGatewayProcess(cfg.file, { env });
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('the key is accepted and no log line carries its secret', async () => {
    const r = await runCli(['keys', 'create', '--file', join(dir, 'keys.yaml'), '--client', 'legacy', '--pepper-env', 'PCL_E2E_PEPPER'], env);
    assert.equal(r.code, 0, r.stderr);
    const key = r.stdout.trim();
    const res = await fetch(`${gw.url}/v1/books?api_key=${encodeURIComponent(key)}`);
    assert.equal(res.status, 200);
    const line = await gw.waitForLog((l) => typeof l.path === 'string' && (l.path as string).startsWith('/v1/books?'));
    assert.ok(!String(line.path).includes('pcl_'), String(line.path));
    const secret = key.split('_').slice(2).join('_');
    assert.ok(!JSON.stringify(gw.logs).includes(secret), 'the secret must not appear in any log line');
  });
});

describe('mutual TLS end to end', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let serverCa: TestCa;
  const certs: Record<string, IssuedCert> = {};

  before(async () => {
    up = await startUpstream();
    const ca = createTestCa('clients');
    serverCa = createTestCa('servers', `${ca.dir}/..`);
    const rogue = createTestCa('rogue', `${ca.dir}/..`);
    const server = serverCa.issue('gateway', { san: 'IP:127.0.0.1,DNS:localhost', serverAuth: true });
    certs.billing = ca.issue('billing', { san: 'URI:spiffe://example.org/billing' });
    certs.plain = ca.issue('plain');
    certs.revoked = ca.issue('revoked');
    certs.expired = ca.issue('expired', { startDate: '20200101000000Z', endDate: '20200102000000Z' });
    certs.rogue = rogue.issue('billing', { san: 'URI:spiffe://example.org/billing' });
    ca.revoke(certs.revoked);
    const crl = ca.crl();
    const cfg = writeConfig(`${tlsConfig({ cert: server.cert, key: server.key, clientCa: ca.cert, crl: [crl] })}apis:
  - name: books
    upstream: ${up.url}
    openapi: ./mtls-books.yaml
    stages:
      authn:
        schemes:
          clientCert:
            kind: mtls
            rules:
              - { field: san-uri, value: "spiffe://example.org/billing", scopes: [invoices:read] }
`, { 'mtls-books.yaml': readFileSync(fixture('authn-keys', 'mtls-books.yaml'), 'utf8') });
    gw = await startGatewayProcess(cfg.file);
  });
  after(async () => { await gw.stop(); await up.close(); });

  const get = async (path: string, client?: IssuedCert): Promise<{ status: number; headers: Record<string, unknown>; body: string }> => {
    const r = await httpsRequest(`${gw.httpsUrl!}/v1${path}`, { ca: pem(serverCa.cert), ...(client === undefined ? {} : { cert: pem(client.cert), key: pem(client.key) }) });
    if (r.status === undefined) throw r.error;
    return r;
  };
  const expect401 = (r: { status: number; body: string }, code: string) => {
    assert.equal(r.status, 401, r.body);
    assert.equal((JSON.parse(r.body) as { code: string }).code, code);
  };

  test('a client certificate from the client CA authenticates; rules grant scopes', async () => {
    const before = up.seen.length;
    const r = await get('/invoices', certs.billing);
    assert.equal(r.status, 200, r.body);
    assert.equal(up.seen[before]!.headers['x-portcullis-subject'], 'spiffe://example.org/billing');
    assert.equal((await get('/books', certs.plain)).status, 200);
    assert.equal((await get('/invoices', certs.plain)).status, 403);
  });

  test('no certificate: the handshake succeeds and the gateway answers 401 problem+json', async () => {
    const r = await get('/books');
    expect401(r, 'PCL_AUTHN_REQUIRED');
    assert.match(String(r.headers['www-authenticate']), /^Mutual realm=/);
  });

  test('attack: untrusted CA, revoked and expired certificates are 401', async () => {
    expect401(await get('/books', certs.rogue), 'PCL_AUTHN_INVALID');
    expect401(await get('/books', certs.revoked), 'PCL_AUTHN_INVALID');
    expect401(await get('/books', certs.expired), 'PCL_AUTHN_INVALID');
  });
});
