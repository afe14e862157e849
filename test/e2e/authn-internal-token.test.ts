import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { bearerOpenApi } from '../helpers/openapi.js';

const ISS = 'https://idp.example';
const AUDIENCE = 'books-upstream';

const OPENAPI = bearerOpenApi('internal token', `  /books:
    get: { operationId: listBooks, responses: { '200': { description: ok } } }
  /status:
    get: { operationId: status, security: [], responses: { '200': { description: ok } } }
`);

const config = (up: string, internalToken: string) => `${E2E_PREAMBLE}apis:
  - name: books
    upstream: ${up}
    openapi: ./openapi.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            keysFileCheckMs: 0
            issuers: [{ issuer: "${ISS}", audiences: [books], algorithms: [ES256], keysFile: ./idp-keys.json }]
        forward:
          internalToken:
${internalToken}
`;

const jwks = async (...keys: [CryptoKey, string][]) => JSON.stringify({ keys: await Promise.all(keys.map(async ([k, kid]) => ({ ...await exportJWK(k), kid, alg: 'ES256' }))) });
const clientToken = (key: CryptoKey, kid: string, claims: Record<string, unknown> = {}) => new SignJWT({ iss: ISS, aud: 'books', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300, scope: 'books:read', tenant_id: 't-1', ...claims })
  .setProtectedHeader({ alg: 'ES256', kid }).sign(key);

describe('internal JWT for the upstream, and JWT keys from a watched file', () => {
  let up: FakeUpstream;
  let generated: GatewayProcess;
  let fromFile: GatewayProcess;
  let idpKey: { privateKey: CryptoKey; publicKey: CryptoKey };
  let dir: string;
  const gatewayKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    up = await startUpstream();
    idpKey = await generateKeyPair('ES256', { extractable: true });
    const files = { 'openapi.yaml': OPENAPI, 'idp-keys.json': await jwks([idpKey.publicKey, 'idp-1']), 'gateway.key': gatewayKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const a = writeConfig(config(up.url, `            audience: ${AUDIENCE}\n            issuer: https://gateway.internal\n            claims: [tenant_id]`), files);
    dir = a.dir;
    const b = writeConfig(config(up.url, `            audience: ${AUDIENCE}\n            algorithm: ES256\n            keyFile: ./gateway.key\n            header: x-internal-auth\n            include: [scopes]\n            ttlSeconds: 30`), files);
    [generated, fromFile] = await Promise.all([startGatewayProcess(a.file), startGatewayProcess(b.file)]);
  });
  after(async () => { await generated.stop(); await fromFile.stop(); await up.close(); });

  const lastSeen = () => up.seen[up.seen.length - 1]!;

  test('the upstream verifies the generated-key (EdDSA) token with jose against the admin JWKS; a client-sent copy never arrives', async () => {
    const res = await fetch(`${generated.url}/v1/books`, { headers: { authorization: `Bearer ${await clientToken(idpKey.privateKey, 'idp-1')}`, 'x-portcullis-token': 'forged-by-client' } });
    assert.equal(res.status, 200);
    const token = String(lastSeen().headers['x-portcullis-token']);
    assert.notEqual(token, 'forged-by-client');
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${generated.adminUrl}/.well-known/jwks.json`)), { issuer: 'https://gateway.internal', audience: AUDIENCE, algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.scope, 'books:read');
    assert.equal(payload.auth_kind, 'jwt');
    assert.equal(payload.auth_iss, ISS);
    assert.equal(payload.tenant_id, 't-1');
    assert.equal(payload.exp! - payload.iat!, 60);
    // Same scopes and tenant, another subject: the upstream must be told bob, not alice's cached token.
    assert.equal((await fetch(`${generated.url}/v1/books`, { headers: { authorization: `Bearer ${await clientToken(idpKey.privateKey, 'idp-1', { sub: 'bob' })}` } })).status, 200);
    const bob = await jwtVerify(String(lastSeen().headers['x-portcullis-token']), createRemoteJWKSet(new URL(`${generated.adminUrl}/.well-known/jwks.json`)), { issuer: 'https://gateway.internal', audience: AUDIENCE });
    assert.equal(bob.payload.sub, 'bob');
  });

  test('attack: on a public operation a client-sent internal token is stripped and none is minted', async () => {
    assert.equal((await fetch(`${generated.url}/v1/status`, { headers: { 'x-portcullis-token': 'forged-by-client' } })).status, 200);
    assert.equal(lastSeen().headers['x-portcullis-token'], undefined);
  });

  test('a configured ES256 key file: the upstream verifies with the public half, in the configured header, with only the configured facts', async () => {
    assert.equal((await fetch(`${fromFile.url}/v1/books`, { headers: { authorization: `Bearer ${await clientToken(idpKey.privateKey, 'idp-1')}` } })).status, 200);
    const token = String(lastSeen().headers['x-internal-auth']);
    const { payload } = await jwtVerify(token, createPublicKey(gatewayKey.privateKey), { issuer: 'portcullis', audience: AUDIENCE, algorithms: ['ES256'] });
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'scope', 'sub']);
    await assert.rejects(jwtVerify(token, createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), /signature verification failed/, 'another key does not verify it');
  });

  test('JWT keys file rotation: the new key works and the removed one fails, with no config reload', async () => {
    const next = await generateKeyPair('ES256', { extractable: true });
    const oldToken = await clientToken(idpKey.privateKey, 'idp-1');
    const get = (token: string) => fetch(`${generated.url}/v1/books`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get(oldToken)).status, 200);
    assert.equal((await get(await clientToken(next.privateKey, 'idp-2'))).status, 401);
    writeFileSync(join(dir, 'idp-keys.json'), await jwks([next.publicKey, 'idp-2']));
    assert.equal((await get(await clientToken(next.privateKey, 'idp-2'))).status, 200);
    const refused = await get(oldToken);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'PCL_AUTHN_INVALID');
    assert.ok(!generated.logs.some((l) => l.msg === 'config reloaded'), 'no reload happened');
  });
});
