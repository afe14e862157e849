import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli, startGatewayProcess, writeConfig } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { REPO_ROOT, fixture } from '../helpers/paths.js';
import { startUpstream } from '../helpers/upstream.js';

describe('command line', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `portcullis ${pkg.version}`);
  });

  test('validate: exit 0 for a good config', async () => {
    const r = await runCli(['validate', '-c', booksConfig('http://127.0.0.1:1').file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OK \(1 API, 6 routes\)/);
  });

  test('validate: every problem at once, each with file:line path', async () => {
    const { file } = writeConfig(`server:
  port: 99999
apis:
  - name: a
    upstream: ftp://x
    prefixes: [/]
    retries: many
  - name: a
    uptream: http://x
    prefixes: [/]
`);
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.some((l) => /portcullis\.yaml:2 server\.port: must be <= 65535/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /portcullis\.yaml:5 apis\[0\]\.upstream: must be an http\(s\) URL/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /portcullis\.yaml:7 apis\[0\]\.retries: /.test(l)), r.stderr);
    assert.ok(lines.some((l) => /portcullis\.yaml:9 apis\[1\]\.uptream: unknown key "uptream" \(did you mean "upstream"\?\)/.test(l)), r.stderr);
  });

  test('validate: malformed YAML and a missing OpenAPI document are load errors', async () => {
    const yaml = writeConfig('apis:\n  - name: a\n    upstream: [http://x\n');
    const r1 = await runCli(['validate', '-c', yaml.file]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /portcullis\.yaml:\d+/);
    const missing = writeConfig('apis:\n  - name: a\n    upstream: http://127.0.0.1:1\n    openapi: ./nope.yaml\n');
    const r2 = await runCli(['validate', '-c', missing.file]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /portcullis\.yaml:4 apis\[0\]\.openapi: .*nope\.yaml/);
  });

  test('validate: an invalid OpenAPI document and duplicate routes are reported', async () => {
    const bad = writeConfig('apis:\n  - name: a\n    upstream: http://127.0.0.1:1\n    openapi: ./doc.yaml\n', { 'doc.yaml': 'swagger: "2.0"\npaths: {}\n' });
    const r1 = await runCli(['validate', '-c', bad.file]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /apis\[0\]\.openapi: .*doc\.yaml/);
    const dup = writeConfig(`apis:
  - name: a
    upstream: http://127.0.0.1:1
    openapi: ./books.yaml
  - name: b
    upstream: http://127.0.0.1:2
    openapi: ./books.yaml
`, { 'books.yaml': readFileSync(fixture('e2e', 'books.yaml'), 'utf8') });
    const r2 = await runCli(['validate', '-c', dup.file]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /apis\[1\]\.openapi: .*(conflict|already)/i);
  });

  test('validate: an unknown stage and a bad stage config are reported with their path', async () => {
    const r = await runCli(['validate', '-c', booksConfig('http://127.0.0.1:1', { apiExtra: '    stages:\n      firewall: {}\n    operations:\n      createBook:\n        stages:\n          cors: { allowOrigins: 5 }\n      nosuchop: {}' }).file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /apis\[0\]\.stages\.firewall: unknown stage "firewall"/);
    assert.match(r.stderr, /apis\[0\]\.operations\.createBook\.stages\.cors\.allowOrigins: must be a list/);
    assert.match(r.stderr, /apis\[0\]\.operations\.nosuchop: no operation has operationId "nosuchop"/);
  });

  test('schema prints the JSON Schema of the config', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    assert.ok(schema.properties.apis !== undefined && schema.properties.server !== undefined);
  });

  test('routes lists operations with their stages', async () => {
    const r = await runCli(['routes', '-c', booksConfig('http://127.0.0.1:1', { apiExtra: '    cors:\n      allowOrigins: [https://a.example]' }).file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /GET\s+\/v1\/books\/\{bookId\}\s+books\s+getBook\s+1048576\s+cors/);
    assert.match(r.stdout, /POST\s+\/v1\/books\s+books\s+createBook/);
  });

  test('start with a bad config exits 1 with the errors', async () => {
    const { file } = writeConfig('apis:\n  - name: a\n    upstream: nope\n    prefixes: [/]\n');
    const r = await runCli(['start', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:3 apis\[0\]\.upstream: must be an http\(s\) URL/);
  });

  test('SIGTERM drains: the in-flight request completes, then exit 0', async () => {
    const up = await startUpstream((req, res) => setTimeout(() => res.end('done'), req.url === '/v1/slow' ? 700 : 0));
    cleanup.push(() => up.close());
    const gw = await startGatewayProcess(booksConfig(up.url).file);
    const inflight = fetch(`${gw.url}/v1/slow`);
    await new Promise((r) => setTimeout(r, 200));
    const exit = gw.stop();
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'done');
    assert.equal(await exit, 0);
  });

  test('--workers 2 serves from two processes with metrics summed on the primary', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file } = booksConfig(up.url);
    const gw = await startGatewayProcess(file, { args: ['--workers', '2'] });
    cleanup.push(() => gw.stop());
    await gw.waitForLog((l) => l.msg === 'portcullis listening' && l.admin === undefined && gw.logs.filter((x) => x.msg === 'portcullis listening').length >= 2);
    const url = String(gw.logs.find((l) => l.msg === 'portcullis listening' && l.http)!.http);
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${url}/v1/books`, { headers: { connection: 'close' } })).status, 200);
    const primary = await gw.waitForLog((l) => l.msg === 'portcullis primary started');
    const metrics = await (await fetch(`${String(primary.admin)}/metrics`)).text();
    const total = [...metrics.matchAll(/^portcullis_requests_total\{[^}]*api="books"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(total, 10);
    assert.equal(await gw.stop(), 0);
  });
});
