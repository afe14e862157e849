import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';
import { sarifProblems } from '../helpers/sarif.js';

interface JsonReport { findings: { ruleId: string; message: string; severity: string; owasp: string; fix: string; location: { file: string; line: number } }[]; rules: { id: string }[] }

test('lint: --fail-on high exits 1 on the vulnerable document, 0 on the clean one; --fail-on none exits 0', async () => {
  const bad = await runCli(['lint', fixture('lint', 'vulnerable.yaml'), '--fail-on', 'high']);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /vulnerable\.yaml:\d+:\d+ {2}HIGH {2}http-server {2}\[API8:2023\]/);
  assert.match(bad.stdout, /fix: /);
  assert.match(bad.stdout, /\d+ findings \(\d+ high, \d+ medium, \d+ low\)/);
  const clean = await runCli(['lint', fixture('lint', 'clean.yaml'), '--fail-on', 'info']);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /0 findings/);
  const none = await runCli(['lint', fixture('lint', 'vulnerable.yaml'), '--fail-on', 'none']);
  assert.equal(none.code, 0);
  // Only low findings at or above "critical"? none: exit 0.
  const critical = await runCli(['lint', fixture('lint', 'vulnerable.yaml'), '--fail-on', 'critical']);
  assert.equal(critical.code, 0);
});

test('lint: SARIF and JSON output through the real CLI, -o writes a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-lint-'));
  const out = join(dir, 'lint.sarif');
  const r = await runCli(['lint', fixture('lint', 'vulnerable.yaml'), '-c', fixture('lint', 'portcullis.yaml'), '--format', 'sarif', '-o', out, '--fail-on', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /findings written to/);
  const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
  assert.equal(sarifProblems(log), '');
  assert.ok(log.runs[0]!.results.some((x) => x.ruleId === 'cors-wildcard-credentials'));
  const json = await runCli(['lint', fixture('lint', 'vulnerable.yaml'), '-f', 'json', '--fail-on', 'none']);
  const report = JSON.parse(json.stdout) as JsonReport;
  assert.ok(report.findings.length > 10);
  for (const f of report.findings) {
    assert.match(f.owasp, /^API\d+:2023$/);
    assert.ok(f.fix.length > 10 && f.location.line > 0, JSON.stringify(f));
  }
});

test('lint: the VAmPI document (a public deliberately vulnerable API) gives its known weaknesses', async () => {
  const r = await runCli(['lint', fixture('vampi', 'openapi3.yml'), '-f', 'json', '--fail-on', 'none']);
  assert.equal(r.code, 0, r.stderr);
  const { findings } = JSON.parse(r.stdout) as JsonReport;
  const has = (ruleId: string, text: string) => findings.some((f) => f.ruleId === ruleId && f.message.includes(text));
  assert.ok(has('admin-path-unmarked', '/users/v1/_debug'), 'the _debug endpoint dumps every user');
  assert.ok(has('sensitive-response-field', 'GET /users/v1/_debug declares sensitive property "password"'), '_debug returns passwords');
  assert.ok(has('login-without-rate-limit', 'POST /users/v1/login'));
  assert.ok(has('secret-in-example', 'JWT'));
  assert.ok(has('open-request-object', 'POST /users/v1/register'), 'register accepts "admin": true (mass assignment)');
  assert.ok(has('http-server', 'http://localhost:5000'));
});

test('lint: usage and load errors exit 2 with a message', async () => {
  const none = await runCli(['lint']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name the OpenAPI document/);
  assert.match(none.stderr, /Usage: portcullis lint/);
  const badFormat = await runCli(['lint', fixture('lint', 'clean.yaml'), '-f', 'xml']);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format must be one of text, json, sarif/);
  const badLevel = await runCli(['lint', fixture('lint', 'clean.yaml'), '--fail-on', 'severe']);
  assert.equal(badLevel.code, 2);
  const missing = await runCli(['lint', '/nonexistent/openapi.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /openapi\.yaml: file not found/);
  const badConfig = await runCli(['lint', fixture('lint', 'clean.yaml'), '-c', '/nonexistent/portcullis.yaml']);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /portcullis\.yaml.*file not found/);
  const unknownRule = await runCli(['lint', fixture('lint', 'clean.yaml'), '--disable', 'nope']);
  assert.equal(unknownRule.code, 2);
  assert.match(unknownRule.stderr, /unknown lint rule "nope"; known rules: /);
  const help = await runCli(['lint', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--fail-on LEVEL/);
  const list = await runCli(['lint', '--list-rules']);
  assert.equal(list.stdout.trim().split('\n').length, 16);
});
