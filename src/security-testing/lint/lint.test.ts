import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/paths.js';
import { sarifProblems } from '../../../test/helpers/sarif.js';
import { toSarif } from '../common/sarif.js';
import { BUILTIN_LINT_RULES } from './builtins.js';
import { lint } from './run.js';
import { LintRuleRegistry } from './registry.js';

const VULNERABLE = fixture('lint', 'vulnerable.yaml');
const CLEAN = fixture('lint', 'clean.yaml');
const CONFIG = fixture('lint', 'portcullis.yaml');

function lineOf(file: string, needle: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return i + 1;
}

test('every document rule fires on the vulnerable document, at the line where the problem is written', async () => {
  const { findings } = await lint({ document: VULNERABLE });
  const at = (ruleId: string, line: number) => findings.find((f) => f.ruleId === ruleId && f.location?.line === line);
  for (const r of BUILTIN_LINT_RULES.filter((r) => r.needs === 'document')) {
    assert.ok(findings.some((f) => f.ruleId === r.id), `rule ${r.id} found nothing`);
  }
  assert.ok(at('http-server', lineOf(VULNERABLE, 'http://api.shop')));
  assert.ok(at('sequential-id-without-ownership', lineOf(VULNERABLE, 'get:')), JSON.stringify(findings.filter((f) => f.ruleId.startsWith('seq'))));
  assert.ok(at('admin-path-unmarked', lineOf(VULNERABLE, 'delete:')));
  assert.ok(at('unbounded-string', lineOf(VULNERABLE, 'username: { type: string }')));
  assert.ok(at('unbounded-array', lineOf(VULNERABLE, 'items: { type: array')));
  assert.equal(at('unbounded-number', lineOf(VULNERABLE, 'quantity:'))?.message, 'Number "quantity" in POST /orders has no maximum.');
  assert.ok(at('secret-in-example', lineOf(VULNERABLE, 'token: eyJ'))?.message.includes('JWT'));
  assert.equal(at('secret-in-example', lineOf(VULNERABLE, 'hunter2'))?.severity, 'medium');
  assert.ok(at('pii-in-example', lineOf(VULNERABLE, 'gmail.com'))?.message.includes('gmail.com'));
  assert.ok(at('pii-in-example', lineOf(VULNERABLE, '123-45-6789'))?.message.includes('social security number'));
  // The User schema is shared through $ref: reported once, at its definition in components.
  const ssn = findings.filter((f) => f.ruleId === 'sensitive-response-field');
  assert.deepEqual(ssn.map((f) => [f.location?.line, f.location?.path]), [[lineOf(VULNERABLE, 'ssn: { type: string'), '#/components/schemas/User/properties/ssn']]);
  // Issuing a token is what login is for: its token property is not "sensitive" there.
  assert.ok(!findings.some((f) => f.ruleId === 'sensitive-response-field' && f.message.includes('"token"')));
  // Anonymous write: high; the rule's message names the operation.
  const anon = findings.find((f) => f.ruleId === 'operation-without-security');
  assert.equal(anon?.severity, 'high');
  assert.equal(anon?.operation, 'POST /login');
  // Config rules need -c.
  assert.ok(!findings.some((f) => f.ruleId === 'cors-wildcard-credentials' || f.ruleId === 'stage-not-enforcing'));
});

test('the clean document gives no finding (no false positives from the safe counterparts)', async () => {
  const report = await lint({ document: CLEAN });
  assert.deepEqual(report.findings, []);
  assert.equal(report.openapi, '3.0');
  assert.equal(report.operations, 3);
});

test('with the gateway config: ownership rule, login rate limit and strict bodies count; config findings at config lines', async () => {
  const bare = await lint({ document: VULNERABLE });
  const { findings } = await lint({ document: VULNERABLE, config: CONFIG });
  const ids = (list: typeof findings) => list.map((f) => f.ruleId);
  assert.ok(ids(bare.findings).includes('sequential-id-without-ownership'));
  assert.ok(!ids(findings).includes('sequential-id-without-ownership'), 'the authz rule own-user checks getUser ownership');
  assert.ok(!ids(findings).includes('login-without-rate-limit'), 'operations.login sets a rate limit');
  const open = findings.filter((f) => f.ruleId === 'open-request-object');
  assert.ok(open.length > 0 && open.every((f) => f.severity === 'info' && f.message.includes('mitigated')), JSON.stringify(open));
  const cors = findings.find((f) => f.ruleId === 'cors-wildcard-credentials');
  assert.deepEqual([cors?.location?.file, cors?.location?.line, cors?.location?.path], [CONFIG, lineOf(CONFIG, "allowOrigins: ['*']"), 'apis[0].cors.allowOrigins[0]']);
  const monitor = findings.find((f) => f.ruleId === 'stage-not-enforcing');
  assert.equal(monitor?.location?.line, lineOf(CONFIG, 'mode: monitor'));
  assert.match(monitor?.message ?? '', /waf is in monitor mode/);
});

test('the config without the rules it fixes: admin op still unmarked, login limit missing is reported against the config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-lint-'));
  writeFileSync(join(dir, 'doc.yaml'), readFileSync(VULNERABLE, 'utf8'));
  writeFileSync(join(dir, 'portcullis.yaml'), 'apis:\n  - name: shop\n    upstream: http://127.0.0.1:1\n    openapi: ./doc.yaml\n    stages:\n      authz: { rules: [{ id: all, operations: ["*"] }] }\n');
  const { findings } = await lint({ document: join(dir, 'doc.yaml'), config: join(dir, 'portcullis.yaml') });
  const login = findings.find((f) => f.ruleId === 'login-without-rate-limit');
  assert.equal(login?.location?.file, join(dir, 'portcullis.yaml'));
  assert.match(login?.message ?? '', /no rate-limit stage/);
  // A rule without a condition is not an ownership check.
  assert.match(findings.find((f) => f.ruleId === 'sequential-id-without-ownership')?.message ?? '', /no authz rule with a condition/);
});

test('--only / --disable select rules; an unknown id is an error listing the known ones', async () => {
  const only = await lint({ document: VULNERABLE, only: ['http-server'] });
  assert.deepEqual([...new Set(only.findings.map((f) => f.ruleId))], ['http-server']);
  const without = await lint({ document: VULNERABLE, disable: ['missing-429-response'] });
  assert.ok(!without.findings.some((f) => f.ruleId === 'missing-429-response'));
  await assert.rejects(lint({ document: VULNERABLE, only: ['nope'] }), (e: Error & { code?: string }) => e.code === 'PCL_ERR_LINT_RULE' && e.message.includes('http-server'));
  assert.throws(() => new LintRuleRegistry([...BUILTIN_LINT_RULES, BUILTIN_LINT_RULES[0]!]), /registered twice/);
});

test('SARIF output has every field the SARIF 2.1.0 schema requires, with rule metadata and locations', async () => {
  const report = await lint({ document: VULNERABLE, config: CONFIG });
  const log = toSarif(report.findings, report.rules, { name: 'portcullis-lint', version: '0.0.0' }, fixture());
  assert.equal(sarifProblems(log), '');
  const run = log.runs[0]!;
  assert.equal(run.results.length, report.findings.length);
  const result = run.results.find((r) => r.ruleId === 'cors-wildcard-credentials')!;
  assert.equal(result.level, 'error');
  assert.equal(result.locations?.[0]?.physicalLocation.artifactLocation.uri, 'lint/portcullis.yaml');
  assert.equal((run.tool.driver.rules[result.ruleIndex!] as { id: string }).id, 'cors-wildcard-credentials');
  // A broken log is caught: the check is not vacuous.
  assert.notEqual(sarifProblems({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [{ ruleId: 'x' }] }] }), '');
});

test('a document the gateway cannot load is the loader\'s error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-lint-'));
  writeFileSync(join(dir, 'swagger.yaml'), 'swagger: "2.0"\npaths: {}\n');
  await assert.rejects(lint({ document: join(dir, 'swagger.yaml') }), (e: Error & { code?: string }) => e.code === 'PCL_ERR_OPENAPI_INVALID' && /Swagger 2\.0/.test(e.message));
});
