import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startVulnerableShop, type VulnerableShop } from '../../examples/vulnerable-shop/server.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { localIssuer } from '../helpers/jwt.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { sarifProblems } from '../helpers/sarif.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'vulnerable-shop');
const SPEC = join(EXAMPLE, 'openapi.yaml');

interface Finding { ruleId: string; severity: string; message: string; operation?: string; reproduce: string }
interface Report { findings: Finding[]; requests: number; truncated: boolean; statuses: Record<string, number> }

/** The example's portcullis.yaml as shipped, on loopback port 0, in front of this shop, with these keys. */
export function shopGatewayConfig(upstream: string, jwks: string): { dir: string; file: string } {
  const cfg = parse(readFileSync(join(EXAMPLE, 'portcullis.yaml'), 'utf8')) as Record<string, unknown> & { apis: Record<string, unknown>[] };
  cfg.server = { port: 0, host: '127.0.0.1' };
  cfg.admin = { port: 0 };
  cfg.logging = { level: 'info', accessLog: false };
  cfg.watch = false;
  cfg.apis[0]!.upstream = upstream;
  return writeConfig(stringify(cfg), { 'openapi.yaml': readFileSync(SPEC, 'utf8'), 'jwks.json': jwks });
}

describe('portcullis scan against the vulnerable shop, directly and behind the gateway', () => {
  let shop: VulnerableShop;
  let gw: GatewayProcess;
  const as: string[] = [];
  let direct: Report;
  let behind: Report;

  before(async () => {
    shop = await startVulnerableShop();
    const idp = await localIssuer('https://idp.shop.example', 'shop-api');
    as.push(`alice:${await idp.sign('alice', { roles: ['user'] })}`, `bob:${await idp.sign('bob', { roles: ['user'] })}`);
    gw = await startGatewayProcess(shopGatewayConfig(shop.url, idp.jwks).file, { timeoutMs: 60_000 });
  });
  after(async () => {
    await gw?.stop();
    await shop?.close();
  });

  const has = (r: Report, ruleId: string, text: string) => r.findings.some((f) => f.ruleId === ruleId && `${f.operation} ${f.message}`.includes(text));

  test('directly: every planted weakness is found, each with a curl line', async () => {
    const r = await runCli(['scan', '--spec', SPEC, '--target', shop.url, ...as.flatMap((a) => ['--as', a]), '--format', 'json', '--fail-on', 'none', '--seed', '7']);
    assert.equal(r.code, 0, r.stderr);
    direct = JSON.parse(r.stdout) as Report;
    assert.equal(direct.truncated, false);
    assert.ok(has(direct, 'bola', "bob got 200 from GET /orders/{orderId} on alice's object"), JSON.stringify(direct.findings.map((f) => f.message)));
    assert.ok(has(direct, 'bola', 'GET /users/{userId}'));
    assert.ok(has(direct, 'bfla', 'GET /admin/users answered 200 to non-admin alice'));
    assert.ok(has(direct, 'auth-bypass', 'alg: none'));
    assert.ok(has(direct, 'auth-bypass', 'signature stripped'));
    assert.ok(has(direct, 'auth-bypass', 'expired'));
    assert.ok(has(direct, 'auth-bypass', 'wrong audience'));
    assert.ok(has(direct, 'mass-assignment', 'readOnly "role"'));
    assert.ok(has(direct, 'mass-assignment', 'readOnly "owner"'));
    assert.ok(has(direct, 'injection', 'query parameter "q" of GET /products returned sql error'));
    assert.ok(has(direct, 'excessive-data-exposure', 'password_hash, ssn'));
    assert.ok(has(direct, 'missing-rate-limit', 'got no 429'));
    assert.ok(has(direct, 'fuzz-accepted-invalid', 'maximum + 1 101 in body property "quantity"'));
    const bola = direct.findings.find((f) => f.ruleId === 'bola')!;
    assert.match(bola.reproduce, new RegExp(`^curl -i -X GET '${shop.url}/shop/(orders|users)/[^']+' .*-H "authorization: \\$SCAN_AS_BOB"`));
    // Tokens never appear in the report: only variable references.
    assert.ok(!JSON.stringify(direct).includes(as[0]!.slice(6)), 'a credential leaked into the report');
  });

  test('behind the gateway: the same scan finds far less, and none of the access-control findings', async (t) => {
    const r = await runCli(['scan', '--spec', SPEC, '--target', gw.url, ...as.flatMap((a) => ['--as', a]), '--format', 'json', '--fail-on', 'none', '--seed', '7']);
    assert.equal(r.code, 0, r.stderr);
    behind = JSON.parse(r.stdout) as Report;
    for (const rule of ['bola', 'bfla', 'auth-bypass', 'mass-assignment', 'injection', 'excessive-data-exposure', 'missing-rate-limit', 'fuzz-accepted-invalid']) {
      assert.ok(!behind.findings.some((f) => f.ruleId === rule), `${rule} behind the gateway: ${JSON.stringify(behind.findings.filter((f) => f.ruleId === rule))}`);
    }
    t.diagnostic(`direct: ${direct.findings.length} findings (${direct.requests} requests); behind the gateway: ${behind.findings.length} (${behind.requests} requests): ${behind.findings.map((f) => `${f.ruleId} ${f.message}`).join(' | ')}`);
    // Not vacuous: the identities' own requests went through the gateway (2xx), the attacks did not.
    assert.ok((behind.statuses['2xx'] ?? 0) >= 10, JSON.stringify(behind.statuses));
    assert.ok((behind.statuses['4xx'] ?? 0) >= 50, JSON.stringify(behind.statuses));
    assert.ok(direct.findings.length >= 20 && behind.findings.length * 5 <= direct.findings.length, `direct ${direct.findings.length}, behind ${behind.findings.length}`);
  });

  test('SARIF, JUnit and HTML outputs; --fail-on sets the exit code', async () => {
    const common = ['scan', '--spec', SPEC, '--target', shop.url, ...as.flatMap((a) => ['--as', a]), '--checks', 'bola,bfla'];
    const sarif = await runCli([...common, '--format', 'sarif', '--fail-on', 'high']);
    assert.equal(sarif.code, 1, 'high findings with --fail-on high');
    const log = JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; properties: { reproduce?: string } }[] }[] };
    assert.equal(sarifProblems(log), '');
    assert.ok(log.runs[0]!.results.some((x) => x.ruleId === 'bola' && x.properties.reproduce?.startsWith('curl ')));
    const junit = await runCli([...common, '--format', 'junit', '--fail-on', 'none']);
    assert.equal(junit.code, 0);
    assert.match(junit.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    assert.match(junit.stdout, /<testsuite name="bola" tests="\d+" failures="[1-9]\d*"/);
    assert.match(junit.stdout, /<failure message="[^"]*bob got 200/);
    const html = await runCli([...common, '--format', 'html', '--fail-on', 'none']);
    assert.match(html.stdout, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-/);
    assert.ok(!/<script|https?:\/\/(?!127\.0\.0\.1)[a-z]/i.test(html.stdout.replace(/curl [^<]*/g, '')), 'no external assets or scripts');
  });

  test('scope and usage: another host is refused, bad options exit 2', async () => {
    const bad = await runCli(['scan', '--spec', SPEC, '--target', 'ftp://127.0.0.1/']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target must be http or https/);
    const noTarget = await runCli(['scan', '--spec', SPEC]);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /--target is required/);
    const badAs = await runCli(['scan', '--spec', SPEC, '--target', shop.url, '--as', 'alice']);
    assert.equal(badAs.code, 2);
    assert.match(badAs.stderr, /--as must be NAME:CREDENTIAL/);
  });

  test('the request budget bounds the scan and marks it truncated', async () => {
    const r = await runCli(['scan', '--spec', SPEC, '--target', shop.url, ...as.flatMap((a) => ['--as', a]), '--max-requests', '10', '--format', 'json', '--fail-on', 'none']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.requests, 10);
    assert.equal(report.truncated, true);
  });
});
