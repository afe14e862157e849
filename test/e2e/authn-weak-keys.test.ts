import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { craft, now } from '../fixtures/authn/tokens.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const ISS = 'https://idp.weak.example';

const OPENAPI = bearerOpenApi('weak keys', `  /books:
    get: { operationId: listBooks, responses: { '200': { description: ok } } }
`);

const config = (keysFile: string) => `${E2E_PREAMBLE}apis:
  - name: books
    upstream: http://127.0.0.1:1
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers: [{ issuer: "${ISS}", audiences: [books], algorithms: [RS256], keysFile: ${keysFile} }]
`;

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const jwk = (k: KeyObject, kid: string) => ({ ...k.export({ format: 'jwk' }), kid, alg: 'RS256' });

describe('JWT keys that can never verify are reported at load, and tokens naming them say why (issue 12, item 6)', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let dir: string;
  const good = rsa(2048);
  const weak = rsa(1024);
  const priv = rsa(2048);
  const token = (kid: string, key: KeyObject) => craft({ alg: 'RS256', kid }, { iss: ISS, aud: 'books', sub: 'alice', exp: now() + 300 }, { rsa: key });

  before(async () => {
    up = await startUpstream();
    const keys = {
      keys: [
        jwk(good.publicKey, 'good'),
        jwk(weak.publicKey, 'weak'),
        jwk(priv.privateKey, 'priv'),
        { kty: 'oct', kid: 'sym', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' },
        { kty: 'XYZ', kid: 'odd' },
        { ...jwk(good.publicKey, 'enc'), use: 'enc' },
      ],
    };
    const cfg = writeConfig(config('./idp.json').replace('http://127.0.0.1:1', up.url), { 'openapi.yaml': OPENAPI, 'idp.json': JSON.stringify(keys) });
    dir = cfg.dir;
    gw = await startGatewayProcess(cfg.file);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('each refused key is a key.rejected event with its kid and why, never its material', async () => {
    const rejected = async (kid: string) => gw.waitForLog((l) => l.event === 'key.rejected' && String(l.excerpt).includes(`kid "${kid}"`));
    assert.equal((await rejected('weak')).reason, 'weak_key');
    assert.match(String((await rejected('weak')).excerpt), /RSA key of 1024 bits/);
    assert.equal((await rejected('priv')).reason, 'unsupported_key');
    assert.equal((await rejected('sym')).reason, 'unsupported_key');
    assert.equal((await rejected('odd')).reason, 'unsupported_key');
    assert.equal(gw.logs.some((l) => l.event === 'key.rejected' && String(l.excerpt).includes('"enc"')), false, 'a key for another use is not an error');
    const d = (priv.privateKey.export({ format: 'jwk' }) as { d: string }).d;
    assert.equal(JSON.stringify(gw.logs).includes(d.slice(0, 24)), false);
  });

  test('a token under the good key passes; under the weak key it is weak_key, under the private JWK unsupported_key', async () => {
    assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${token('good', good.privateKey)}` } })).status, 200);
    for (const [kid, key, reason] of [['weak', weak.privateKey, 'weak_key'], ['priv', priv.privateKey, 'unsupported_key']] as const) {
      const res = await fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${token(kid, key)}` } });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_AUTHN_INVALID');
      const reqId = res.headers.get('x-request-id');
      const line = await gw.waitForLog((l) => l.event === 'authn.failure' && l.reqId === reqId);
      assert.equal(line.reason, reason, kid);
    }
  });

  test('attack: a token whose iat lies an hour ahead is 401 PCL_AUTHN_INVALID, reason bad_iat, with no maxTokenAgeSeconds set', async () => {
    const ahead = craft({ alg: 'RS256', kid: 'good' }, { iss: ISS, aud: 'books', sub: 'alice', iat: now() + 3600, exp: now() + 7200 }, { rsa: good.privateKey });
    const res = await fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${ahead}` } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'PCL_AUTHN_INVALID');
    const line = await gw.waitForLog((l) => l.event === 'authn.failure' && l.reqId === res.headers.get('x-request-id'));
    assert.equal(line.reason, 'bad_iat');
  });

  test('a keysFile that disappears keeps the old keys and is reported: error log with the file, metric, /readyz details', async () => {
    const file = join(dir, 'idp.json');
    renameSync(file, `${file}.moved`);
    try {
      // keysFileCheckMs defaults to 1 s: the request after it looks at the file again.
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { authorization: `Bearer ${token('good', good.privateKey)}` } })).status, 200, 'the old keys keep serving');
      const line = await gw.waitForLog((l) => l.event === 'key.file_failed');
      assert.equal(line.level, 'error');
      assert.equal(line.reason, 'missing');
      assert.equal(line.excerpt, file);
      assert.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /^portcullis_security_events_total\{kind="key\.file_failed",reason="missing"\} 1$/m);
      const ready = await fetch(`${gw.adminUrl}/readyz`);
      assert.equal(ready.status, 200);
      const body = await ready.json() as { detail: { credentialFiles?: { file: string; reason: string }[] } };
      assert.deepEqual(body.detail.credentialFiles?.map((f) => [f.file, f.reason]), [[file, 'missing']]);
    } finally {
      renameSync(`${file}.moved`, file);
    }
  });

  test('a PEM keysFile holding a 1024-bit RSA key fails the config load with the reason', async () => {
    const cfg = writeConfig(config('./weak.pem'), { 'openapi.yaml': OPENAPI, 'weak.pem': weak.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const r = await runCli(['validate', '-c', cfg.file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /keysFile \.\/weak\.pem: RSA key of 1024 bits \(at least 2048\); no token could ever verify with it \(weak_key\)/);
  });
});
