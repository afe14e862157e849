import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'admin-token-0123456789abcdef';

describe('admin API', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let file: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  before(async () => {
    up = await startUpstream();
    file = booksConfig(up.url, { admin: '  token: ${ADMIN_TOKEN}' }).file;
    gw = await startGatewayProcess(file, { env: { ADMIN_TOKEN: TOKEN } });
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('refuses calls without the token (401 + WWW-Authenticate) or with a wrong one', async () => {
    const none = await fetch(`${gw.adminUrl}/admin/status`);
    assert.equal(none.status, 401);
    assert.equal((await none.json() as { code: string }).code, 'PCL_AUTHN_REQUIRED');
    assert.match(String(none.headers.get('www-authenticate')), /^Bearer realm="portcullis-admin"$/);
    const wrong = await fetch(`${gw.adminUrl}/admin/status`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json() as { code: string }).code, 'PCL_AUTHN_INVALID');
  });

  test('status and routes', async () => {
    const status = await (await fetch(`${gw.adminUrl}/admin/status`, { headers: auth })).json() as { apis: string[]; routes: number; configGeneration: number };
    assert.deepEqual(status.apis, ['books']);
    assert.equal(status.routes, 6);
    const routes = await (await fetch(`${gw.adminUrl}/admin/routes`, { headers: auth })).json() as { operation: string }[];
    assert.ok(routes.some((r) => r.operation === 'getBook'));
  });

  test('the config view redacts secrets, including the admin token itself', async () => {
    const text = await (await fetch(`${gw.adminUrl}/admin/config`, { headers: auth })).text();
    assert.doesNotMatch(text, new RegExp(TOKEN));
    assert.match(text, /\[REDACTED\]/);
    assert.match(text, /"books"/);
  });

  test('reload: 200 with a new generation; 422 for a broken config, which is not applied', async () => {
    const before = await (await fetch(`${gw.adminUrl}/admin/status`, { headers: auth })).json() as { configGeneration: number };
    const ok = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST', headers: auth });
    assert.equal(ok.status, 200);
    const body = await ok.json() as { configGeneration: number };
    assert.ok(body.configGeneration > before.configGeneration);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace(`upstream: ${up.url}`, 'upstream: nope'));
    const bad = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST', headers: auth });
    assert.equal(bad.status, 422);
    writeFileSync(file, good);
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
  });

  test('every admin call is logged as an admin action, refused ones too', async () => {
    await fetch(`${gw.adminUrl}/admin/status`);
    const line = await gw.waitForLog((l) => l.msg === 'admin action' && l.ok === false);
    assert.equal(line.action, 'status');
  });
});
