import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BudgetExhausted, curlLine, ScopedClient } from './client.js';
import { forge, parseIdentity, subjectOf } from './identity.js';
import { undeclared } from './checks/output.js';
import { scanJunit } from './render.js';
import { fuzzValues, sampleValue, seededRandom } from './values.js';
import type { ScanReport } from './run.js';

const budget = { maxRequests: 3, maxTimeMs: 60_000, requestTimeoutMs: 5_000 };

test('the client refuses every origin but the target, and stops at the request budget', async () => {
  const server = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const client = new ScopedClient(`${origin}/api`, budget);
    for (const url of ['http://127.0.0.2:1/x', 'http://localhost:1/x', `${origin.replace('http:', 'https:')}/x`, 'http://169.254.169.254/latest/meta-data/']) {
      await assert.rejects(client.send({ method: 'GET', url }), (e: Error & { code?: string }) => e.code === 'PCL_ERR_SCAN_SCOPE', url);
    }
    assert.equal(client.sent, 0, 'a refused request is never sent');
    for (let i = 0; i < 3; i++) assert.equal((await client.send({ method: 'GET', url: `${origin}/x` })).status, 200);
    await assert.rejects(client.send({ method: 'GET', url: `${origin}/x` }), BudgetExhausted);
    assert.deepEqual(client.statuses, { '2xx': 3 });
  } finally {
    server.close();
  }
  assert.throws(() => new ScopedClient('not a url', budget), /absolute http\(s\) URL/);
  assert.throws(() => new ScopedClient('file:///etc/passwd', budget), /http or https/);
});

test('identities: bearer tokens, header credentials, admins; JWT claims read without verification', () => {
  const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"alice","aud":"shop"}').toString('base64url')}.sig`;
  const alice = parseIdentity(`alice:${token}`, new Set());
  assert.deepEqual([alice.header, alice.value, alice.admin, subjectOf(alice)], ['authorization', `Bearer ${token}`, false, 'alice']);
  assert.equal(parseIdentity(`alice:Bearer ${token}`, new Set()).value, `Bearer ${token}`);
  const svc = parseIdentity('svc:X-Api-Key: k_123', new Set(['svc']));
  assert.deepEqual([svc.header, svc.value, svc.admin, svc.jwt], ['x-api-key', 'k_123', true, undefined]);
  assert.equal(parseIdentity('root:opaque', new Set()).admin, true);
  assert.throws(() => parseIdentity('alice', new Set()), /NAME:CREDENTIAL/);
  assert.throws(() => parseIdentity('a b:x', new Set()), /letters, digits/);
  const none = forge({ alg: 'none' }, { sub: 'alice' }, '');
  assert.equal(none.split('.')[2], '');
  assert.deepEqual(JSON.parse(Buffer.from(none.split('.')[0]!, 'base64url').toString()), { alg: 'none' });
});

test('curl lines quote shell metacharacters and never contain the credential', () => {
  const line = curlLine({ method: 'POST', url: "http://h/p?q=' OR 1=1", headers: { authorization: 'Bearer SECRET', 'content-type': 'application/json' }, body: `{"a":"it's $(id)"}`, as: 'bob' }, { bob: { header: 'authorization', value: 'Bearer SECRET' } });
  assert.equal(line, `curl -i -X POST 'http://h/p?q='\\'' OR 1=1' -H "authorization: $SCAN_AS_BOB" -H 'content-type: application/json' --data-raw '{"a":"it'\\''s $(id)"}'`);
  assert.ok(!line.includes('SECRET'));
});

test('fuzz values are seeded: the same seed gives the same values, another seed others', () => {
  const schema = { type: 'string', maxLength: 8 };
  const run = (seed: number) => JSON.stringify(fuzzValues(schema, seededRandom(seed), 6));
  assert.equal(run(42), run(42));
  assert.notEqual(run(42), run(43));
  const labels = fuzzValues({ type: 'integer', minimum: 1, maximum: 100 }, seededRandom(1), 0).map((f) => `${f.label}=${String(f.value)}:${f.invalid}`);
  assert.deepEqual(labels.slice(0, 2), ['maximum + 1=101:true', 'minimum - 1=0:true']);
  assert.ok(fuzzValues({ type: 'string', maxLength: 8 }, seededRandom(1), 0).some((f) => f.value === 'a'.repeat(9) && f.invalid));
});

test('sample values: examples, enums and bounds; readOnly properties left out of request bodies', () => {
  assert.deepEqual(sampleValue({ type: 'object', properties: { id: { type: 'integer', readOnly: true }, item: { type: 'string', maxLength: 2 }, quantity: { type: 'integer', minimum: 3 }, kind: { enum: ['a', 'b'] }, at: { type: 'string', format: 'date' } } }),
    { item: 'te', quantity: 3, kind: 'a', at: '2026-01-01' });
  assert.equal(sampleValue({ type: 'string', example: 'ex' }), 'ex');
});

test('undeclared response properties, nested and in arrays; open maps are not reported', () => {
  const schema = { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { id: {}, name: {} } } }, meta: { type: 'object', additionalProperties: { type: 'string' } } } };
  assert.deepEqual(undeclared({ items: [{ id: 1, name: 'a', password_hash: 'x' }, { id: 2, ssn: 'y' }], meta: { anything: 'ok' }, debug: true }, schema), ['items[].password_hash', 'items[].ssn', 'debug']);
  assert.deepEqual(undeclared({ a: 1 }, undefined), []);
});

test('JUnit XML: a suite per check, a failure per finding, control characters dropped', () => {
  const report: ScanReport = {
    spec: 's', target: 't', seed: 1, identities: [], checks: ['bola'], requests: 2, statuses: {}, durationMs: 1500, truncated: false,
    findings: [{ ruleId: 'bola', severity: 'high', owasp: 'API1:2023', message: 'bob got <200> \u0001', fix: 'f', operation: 'GET /x/{id}', reproduce: 'curl x' }],
  };
  const xml = scanJunit(report);
  assert.match(xml, /<testsuite name="bola" tests="1" failures="1" errors="0">/);
  assert.match(xml, /<failure message="bob got &lt;200&gt; " type="high">/);
  assert.match(xml, /<testsuite name="bfla" tests="1" failures="0" errors="0">\n {4}<testcase classname="portcullis\.scan\.bfla" name="[^"]+: none found"\/>/);
  assert.ok(!xml.includes('\u0001'));
});
