import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { REDIS_URL, removeRunKeysAfter } from '../helpers/redis.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'inventory-admin-token-0123456789abcdef';
const RUN = randomUUID();
removeRunKeysAfter(RUN);

interface Entry { api: string; method: string; template: string; operation?: string; count: number; firstSeen: number; lastSeen: number; statuses: Record<string, number>; clients: string[]; query: string[] }
/**
 * Runs `check` until it stops throwing, or throws its last error after `ms`: for state that
 * other processes write on their own schedule (the instances' inventory flushes).
 */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Report { documented: Entry[]; zombies: { api: string; operation: string }[]; shadow: Entry[]; draft: Record<string, { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }> }

describe('inventory: shadow and zombie endpoints, monitor and enforce, one inventory across instances', () => {
  let up: FakeUpstream;
  const gws: GatewayProcess[] = [];
  const started = Date.now();
  before(async () => {
    up = await startUpstream();
    const yaml = `${E2E_PREAMBLE.replace('admin:\n  port: 0\n', `admin:\n  port: 0\n  token: ${TOKEN}\n`)}store:
  backend: redis
  redisUrl: ${REDIS_URL}
  keyPrefix: "pcl-e2e:${RUN}:inv:"
inventory:
  flushIntervalMs: 1000
apis:
  - name: books
    upstream: ${up.url}
    openapi: ./books.yaml
  - name: shop
    upstream: ${up.url}
    openapi: ./shop.yaml
    undocumented: monitor
`;
    const { file } = writeConfig(yaml, {
      'books.yaml': readFileSync(fixture('e2e', 'books.yaml'), 'utf8'),
      'shop.yaml': readFileSync(fixture('lifecycle', 'shop-v0.yaml'), 'utf8'),
    });
    gws.push(await startGatewayProcess(file), await startGatewayProcess(file));
  });
  after(async () => { await Promise.all(gws.map((g) => g.stop())); await up?.close(); });

  const admin = (gw: GatewayProcess, path: string) => fetch(`${gw.adminUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

  test('enforce refuses an undocumented path (404) and method (405) yet records both; monitor forwards them and records them', async () => {
    const [a, b] = gws as [GatewayProcess, GatewayProcess];
    const seen = up.seen.length;
    assert.equal((await fetch(`${a.url}/v1/admin/users/17?verbose=1`)).status, 404);
    assert.equal((await fetch(`${a.url}/v1/books`, { method: 'PUT' })).status, 405);
    assert.equal((await fetch(`${b.url}/v1/admin/users/18`)).status, 404);
    // Values of every kind fold: a UUID, a hash, an e-mail address in the path are parameters, not names.
    assert.equal((await fetch(`${a.url}/v1/files/3f2c9b1e-1c4a-4e8f-9a77-0c2d8e1b5a60/blobs/9f86d081884c7d659a2feaa0c55ad015`)).status, 404);
    assert.equal((await fetch(`${b.url}/v1/files/0d6f3c4e-2b7a-4c1d-8e9f-112233445566/blobs/ab12cd34ef56ab78ab12cd34ef56ab78`)).status, 404);
    assert.equal((await fetch(`${a.url}/v1/members/alice@example.com`)).status, 404);
    assert.equal(up.seen.length, seen, 'enforce forwards nothing undocumented');
    assert.equal((await fetch(`${a.url}/v1/books`)).status, 200);
    // Monitor: the shadow endpoint and an undocumented method on a documented path reach the upstream.
    const shadow = await fetch(`${b.url}/v0/internal/export/42?format=csv`);
    assert.equal(shadow.status, 200);
    assert.equal(up.seen.at(-1)?.url, '/v0/internal/export/42?format=csv');
    assert.equal((await fetch(`${a.url}/v0/orders`, { method: 'DELETE' })).status, 200);
    assert.equal(up.seen.at(-1)?.method, 'DELETE');
  });

  test('GET /admin/inventory?format= anything but json or openapi is 400 PCL_BAD_REQUEST', async () => {
    for (const q of ['format=xml', 'format=yaml', 'format=json&format=openapi']) {
      const res = await admin(gws[0]!, `/admin/inventory?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_BAD_REQUEST', q);
    }
  });

  test('GET /admin/inventory on either instance merges both: used, zombies, shadow with folded templates and names only', async () => {
    const [a, b] = gws as [GatewayProcess, GatewayProcess];
    // Each instance writes its snapshot every flushIntervalMs: the report is polled until both are in it.
    for (const gw of [a, b]) await eventually(async () => {
      const res = await admin(gw, '/admin/inventory');
      assert.equal(res.status, 200);
      const r = await res.json() as Report;
      const users = r.shadow.find((e) => e.api === 'books' && e.template === '/v1/admin/users/{id}');
      assert.ok(users, JSON.stringify(r.shadow));
      assert.equal(users.count, 2, 'one request through each instance');
      assert.equal(users.statuses['4xx'], 2);
      assert.deepEqual(users.query, ['verbose']);
      assert.deepEqual(users.clients, ['127.0.0.1']);
      assert.ok(started <= users.firstSeen && users.firstSeen <= users.lastSeen && users.lastSeen <= Date.now(), JSON.stringify(users));
      const files = r.shadow.find((e) => e.template === '/v1/files/{uuid}/blobs/{hash}');
      assert.equal(files?.count, 2, 'two different UUIDs and hashes, through two instances, are one endpoint');
      assert.ok(r.shadow.some((e) => e.template === '/v1/members/{email}'), JSON.stringify(r.shadow.map((e) => e.template)));
      assert.ok(r.shadow.some((e) => e.api === 'books' && e.method === 'PUT' && e.template === '/v1/books'));
      const exp = r.shadow.find((e) => e.api === 'shop' && e.template === '/v0/internal/export/{id}');
      assert.equal(exp?.statuses['2xx'], 1);
      assert.ok(r.documented.some((e) => e.api === 'books' && e.operation === 'listBooks' && e.count >= 1));
      assert.ok(r.zombies.some((z) => z.api === 'books' && z.operation === 'deleteBook'));
      assert.equal(r.zombies.some((z) => z.operation === 'listBooks'), false);
      assert.equal(JSON.stringify(r).includes('csv'), false, 'query values never stored');
      for (const value of ['3f2c9b1e', '9f86d081', 'alice@example.com']) assert.equal(JSON.stringify(r).includes(value), false, `${value}: path values never stored`);
    });
  });

  test('portcullis inventory prints the report and a draft OpenAPI fragment for the shadow endpoints', async () => {
    const env = { PORTCULLIS_ADMIN_TOKEN: TOKEN };
    const text = await runCli(['inventory', '--admin', gws[0]!.adminUrl], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Not documented: shadow endpoints/);
    assert.match(text.stdout, /books\s+GET\s+\/v1\/admin\/users\/\{id\}/);
    assert.match(text.stdout, /zombies \(\d+\)[\s\S]*deleteBook/);
    const json = await runCli(['inventory', '--json', '--admin', gws[1]!.adminUrl], env);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    assert.ok(report.shadow.some((e) => e.template === '/v1/admin/users/{id}' && e.count === 2), 'the JSON report merges both instances');
    assert.ok(report.zombies.some((z) => z.operation === 'deleteBook'));
    const draft = await runCli(['inventory', '--openapi', '--admin', gws[1]!.adminUrl], env);
    assert.equal(draft.code, 0, draft.stderr);
    const doc = parse(draft.stdout) as Report['draft'];
    const op = doc['books']?.paths['/admin/users/{id}']?.['get'];
    assert.deepEqual(op?.parameters?.map((p) => `${p.in}:${p.name}`), ['path:id', 'query:verbose']);
    const noToken = await runCli(['inventory', '--admin', gws[0]!.adminUrl], { PORTCULLIS_ADMIN_TOKEN: '' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /no admin token/);
  });
});
