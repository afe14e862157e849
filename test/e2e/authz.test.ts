import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { localIssuer } from '../helpers/jwt.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const ISS = 'https://idp.authz.example';

// The same policy on two pass-through APIs: enforced on /strict, monitored on /watch.
const policy = (mode: string, prefix: string) => `
      authz:
        mode: ${mode}
        rules:
          - id: debug-off
            effect: deny
            when: "'x-debug' in request.headers"
          - id: own-space
            when: request.path.startsWith('${prefix}/users/' + principal.id + '/')
        responseRules:
          - id: owner
            when: response.body.owner == principal.id`;

const api = (name: string, mode: string, upstream: string) => `
  - name: ${name}
    upstream: ${upstream}
    prefixes: [/${name}]
    stages:
      authn:
        security: [{ bearer: [] }]
        schemes:
          bearer:
            kind: jwt
            issuers:
              - { issuer: ${ISS}, audiences: [authz-e2e], keysFile: ./jwks.json, algorithms: [ES256] }${policy(mode, `/${name}`)}`;

describe('authz on pass-through APIs: path rules, deny rules, response owner, monitor mode', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let alice: string;

  before(async () => {
    const idp = await localIssuer(ISS, 'authz-e2e');
    alice = await idp.sign('alice', { roles: ['user'] });
    // The upstream says who owns what it returns: the last path segment.
    up = await startUpstream((req, res) => {
      const owner = (req.url ?? '').split('/').pop();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ owner, data: 'secret' }));
    });
    const yaml = `${E2E_PREAMBLE}apis:${api('strict', 'enforce', up.url)}${api('watch', 'monitor', up.url)}\n`;
    gw = await startGatewayProcess(writeConfig(yaml, { 'jwks.json': idp.jwks }).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${alice}`, ...headers } });
    const body = await res.json() as { code?: string; owner?: string };
    return { status: res.status, body, reached: up.seen.length > before };
  };

  test('enforce: own path and owned object pass; another user\'s path, a deny rule, another owner are 403', async () => {
    const ok = await get('/strict/users/alice/alice');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.owner, 'alice');
    for (const [path, headers, reached, rule] of [
      ['/strict/users/bob/bob', {}, false, 'own-space'],
      ['/strict/users/alice/alice', { 'x-debug': '1' }, false, 'debug-off'],
      ['/strict/users/alice/bob', {}, true, 'owner'],
    ] as const) {
      const r = await get(path, headers);
      assert.equal(r.status, 403, path);
      assert.equal(r.body.code, 'PCL_AUTHZ_DENIED');
      assert.equal(r.reached, reached, path);
      const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.api === 'strict' && (l.ruleIds as string[] | undefined)?.[0] === rule);
      assert.equal(ev.enforced, true);
    }
  });

  test('monitor: the same denials are logged with enforced=false and the responses pass', async () => {
    const r = await get('/watch/users/bob/bob');
    assert.equal(r.status, 200);
    assert.equal(r.body.owner, 'bob');
    assert.equal(r.reached, true);
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.api === 'watch');
    assert.equal(ev.enforced, false);
    assert.deepEqual(ev.ruleIds, ['own-space']);
  });

  test('an anonymous caller is refused by authn before authorization runs', async () => {
    const res = await fetch(`${gw.url}/strict/users/alice/alice`);
    assert.equal(res.status, 401);
    assert.equal((await res.json() as { code: string }).code, 'PCL_AUTHN_REQUIRED');
  });
});

const notesDoc = (base: string) => `openapi: 3.1.0
info: { title: notes, version: '1' }
servers: [{ url: ${base} }]
paths:
  /notes:
    get: { operationId: listNotes, responses: { '200': { description: ok } } }
  /users/{id}:
    get:
      operationId: getUser
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: ok } }
`;

describe('authz defaultDeny through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;

  before(async () => {
    up = await startUpstream();
    const api = (name: string, extra: string) => `
  - name: ${name}
    upstream: ${up.url}
    openapi: ./${name}.yaml
    stages:
      authz:${extra}
        rules:
          - { id: notes-open, operations: [listNotes] }`;
    const yaml = `${E2E_PREAMBLE}apis:${api('closed', '')}${api('open', '\n        defaultDeny: false')}\n`;
    gw = await startGatewayProcess(writeConfig(yaml, { 'closed.yaml': notesDoc('/closed'), 'open.yaml': notesDoc('/open') }).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const get = async (path: string) => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}${path}`);
    return { status: res.status, body: await res.json() as { code?: string }, reached: up.seen.length > before };
  };

  test('an operation no rule targets is 403 and never reaches the upstream; a targeted one passes', async () => {
    const denied = await get('/closed/users/1');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'PCL_AUTHZ_DENIED');
    assert.equal(denied.reached, false);
    const ev = await gw.waitForLog((l) => l.event === 'authz.denied' && l.api === 'closed');
    assert.equal(ev.reason, 'default_deny');
    assert.deepEqual(ev.ruleIds, ['default-deny']);
    assert.equal((await get('/closed/notes')).status, 200);
  });

  test('defaultDeny: false lets the untargeted operation through', async () => {
    const r = await get('/open/users/1');
    assert.equal(r.status, 200);
    assert.equal(r.reached, true);
  });
});
