import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, writeConfig } from '../helpers/gateway.js';

test('uploads options are validated with file:line: a bad clamd address, an unknown key, a media type in the wrong shape', async () => {
  const { file } = writeConfig(`server:
  port: 0
apis:
  - name: files
    upstream: http://127.0.0.1:1
    prefixes: [/files]
    stages:
      uploads:
        types: [PNG]
        maxFile: 10
        scan:
          clamd: http://127.0.0.1:3310
          onUnavailable: ignore
`);
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 1);
  const expect = [
    /portcullis\.yaml:9 apis\[0\]\.stages\.uploads\.types\[0\]: must match pattern/,
    /portcullis\.yaml:10 apis\[0\]\.stages\.uploads\.maxFile: unknown key "maxFile" \(did you mean "maxFiles"\?\)/,
    /portcullis\.yaml:12 apis\[0\]\.stages\.uploads\.scan\.clamd: must match pattern/,
    /portcullis\.yaml:13 apis\[0\]\.stages\.uploads\.scan\.onUnavailable: /,
  ];
  for (const re of expect) assert.ok(r.stderr.split('\n').some((l) => re.test(l)), `${re} in\n${r.stderr}`);
});
