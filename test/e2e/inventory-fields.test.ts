import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'inventory-fields-admin-token-0123456789';

interface Entry { api: string; method: string; template: string; query: string[]; body: string[] }
interface Report { shadow: Entry[]; draft: Record<string, { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> }> }

describe('inventory: observed query and body field NAMES per endpoint, never values', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const { file } = writeConfig(`${E2E_PREAMBLE.replace('admin:\n  port: 0\n', `admin:\n  port: 0\n  token: ${TOKEN}\n`)}apis:
  - name: shop
    upstream: ${up.url}
    openapi: ./shop.yaml
    undocumented: monitor
`, { 'shop.yaml': readFileSync(fixture('lifecycle', 'shop-v0.yaml'), 'utf8') });
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('a shadow POST endpoint lists the JSON and form field names it received, and the draft carries them', async () => {
    const post = (body: string, type: string, query = '') => fetch(`${gw.url}/v0/internal/users/77${query}`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal((await post(JSON.stringify({ email: 'alice@example.com', password: 'hunter2', profile: { city: 'Paris' }, 'carol@example.com': true }), 'application/json', '?notify=yes&token=s3cr3t')).status, 200);
    assert.equal((await post('role=admin&pin=1234', 'application/x-www-form-urlencoded')).status, 200);
    let entry: Entry | undefined;
    let report: Report | undefined;
    // Names are parsed off the request's tick: poll until they are there.
    for (let i = 0; i < 50 && (entry === undefined || entry.body.length < 6); i++) {
      const res = await fetch(`${gw.adminUrl}/admin/inventory`, { headers: { authorization: `Bearer ${TOKEN}` } });
      report = await res.json() as Report;
      entry = report.shadow.find((e) => e.method === 'POST' && e.template === '/v0/internal/users/{id}');
      if (entry === undefined || entry.body.length < 6) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(entry, JSON.stringify(report?.shadow));
    assert.deepEqual(entry.body, ['email', 'password', 'profile', 'profile.city', 'role', 'pin']);
    assert.deepEqual(entry.query, ['notify', 'token']);
    const text = JSON.stringify(report);
    for (const value of ['alice@example.com', 'hunter2', 'Paris', 'carol@example.com', 's3cr3t', 'admin', '1234']) assert.ok(!text.includes(value), `${value} must never be stored`);
    const op = report!.draft.shop!.paths['/internal/users/{id}']!.post!;
    const cli = await runCli(['inventory', '--admin', gw.adminUrl], { PORTCULLIS_ADMIN_TOKEN: TOKEN });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /\/v0\/internal\/users\/\{id\}.*query: notify,token {2}body: email,password,profile,profile\.city,role,pin/);
    assert.deepEqual(op.requestBody?.content['application/json']?.schema, { type: 'object', properties: { email: {}, password: {}, profile: { properties: { city: {} } }, role: {}, pin: {} } });
  });
});
