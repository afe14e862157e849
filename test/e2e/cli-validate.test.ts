import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, writeConfig } from '../helpers/gateway.js';

const DOC = 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /x:\n    get:\n      operationId: getX\n      responses:\n        "200": {description: ok}\n';

test('validate reports a missing ${ENV}, OpenAPI errors and stage option errors in one run', async () => {
  const { file } = writeConfig(`server:
  port: 0
apis:
  - name: a
    upstream: \${PCL_TEST_SURELY_UNSET}
    openapi: ./doc.yaml
    stages:
      rate-limit:
        limits:
          - name: x
            limt: 5
  - name: b
    upstream: http://127.0.0.1:1
    openapi: ./swagger.yaml
    stages:
      authz:
        defaultDeny: maybe
`, { 'doc.yaml': DOC, 'swagger.yaml': 'swagger: "2.0"\npaths: {}\n' });
  delete process.env.PCL_TEST_SURELY_UNSET;
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  const expect = [
    /portcullis\.yaml:5 apis\[0\]\.upstream: environment variable PCL_TEST_SURELY_UNSET is not set/,
    /portcullis\.yaml:10 apis\[0\]\.stages\.rate-limit\.limits\[0\]\.limit: is required/,
    /portcullis\.yaml:11 apis\[0\]\.stages\.rate-limit\.limits\[0\]\.limt: unknown key "limt" \(did you mean "limit"\?\); valid keys: name, limit, window, .*key, keyCase/,
    /portcullis\.yaml:14 apis\[1\]\.openapi: .*Swagger 2\.0 documents are not supported/,
    /portcullis\.yaml:17 apis\[1\]\.stages\.authz\.defaultDeny: must be a boolean/,
  ];
  for (const re of expect) assert.ok(lines.some((l) => re.test(l)), `${re} in\n${r.stderr}`);
  assert.equal(lines.filter((l) => l.includes('apis[0].upstream')).length, 1, 'the unresolved reference is reported once');
  assert.match(lines.at(-1)!, /^5 problems in /);
});

test('a rule comparing principal.id with a field the OpenAPI schema declares numeric is refused at load, at its line (issue 14, item 5)', async () => {
  const doc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { type: object, properties: { user_id: { type: integer } } }
`;
  const config = (when: string) => `server:
  port: 0
apis:
  - name: shop
    upstream: http://127.0.0.1:1
    openapi: ./doc.yaml
    stages:
      authz:
        responseRules:
          - id: owner-only
            when: "${when}"
`;
  const bad = writeConfig(config('response.body.user_id == principal.id'), { 'doc.yaml': doc });
  const r = await runCli(['validate', '-c', bad.file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /portcullis\.yaml:11 apis\[0\]\.stages\.authz\.responseRules\[0\]\.when: compares principal\.id \(always a string\) with response\.body\.user_id, which the OpenAPI schema declares as integer: they are never equal\. Write response\.body\.user_id == int\(principal\.id\)/);
  const good = writeConfig(config('response.body.user_id == int(principal.id)'), { 'doc.yaml': doc });
  const ok = await runCli(['validate', '-c', good.file]);
  assert.equal(ok.code, 0, ok.stderr);
});
