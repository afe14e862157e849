import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

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

test('uploads.spool is checked at load with file:line: a threshold below the minimum, a dir that is a file, a dir that does not exist, a threshold below what the waf reads; a threshold no body passes is a warning', async () => {
  const { file } = writeConfig(`server:
  port: 0
apis:
  - name: small
    upstream: http://127.0.0.1:1
    prefixes: [/small]
    stages:
      uploads:
        spool:
          thresholdBytes: 10
  - name: file
    upstream: http://127.0.0.1:1
    prefixes: [/file]
    limits:
      maxBodySize: 8388608
    stages:
      uploads:
        spool:
          dir: ./portcullis.yaml
  - name: missing
    upstream: http://127.0.0.1:1
    prefixes: [/missing]
    limits:
      maxBodySize: 8388608
    stages:
      uploads:
        spool:
          dir: ./no-such-dir
  - name: waf
    upstream: http://127.0.0.1:1
    prefixes: [/waf]
    stages:
      waf:
        customRules: |
          SecRule ARGS:canary "@streq trip" "id:10001,phase:1,deny,log"
      uploads:
        spool:
          thresholdBytes: 65536
`);
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 1);
  const expect = [
    /portcullis\.yaml:10 apis\[0\]\.stages\.uploads\.spool\.thresholdBytes: must be >= 1024/,
    /portcullis\.yaml:19 apis\[1\]\.stages\.uploads\.spool\.dir: cannot make a private spool directory in \S+portcullis\.yaml: not a directory$/,
    /portcullis\.yaml:28 apis\[2\]\.stages\.uploads\.spool\.dir: cannot make a private spool directory in \S+no-such-dir: ENOENT/,
    /portcullis\.yaml:38 apis\[3\]\.stages\.uploads\.spool\.thresholdBytes: stage waf reads the first 131072 bytes of a body: the threshold must be at least that/,
  ];
  for (const re of expect) assert.ok(r.stderr.split('\n').some((l) => re.test(l)), `${re} in\n${r.stderr}`);
  // Spooling that can never happen (the threshold at the body limit) is a warning, not an error.
  const never = writeConfig(`server:
  port: 0
apis:
  - name: never
    upstream: http://127.0.0.1:1
    prefixes: [/never]
    limits:
      maxBodySize: 65536
    stages:
      uploads:
        spool:
          thresholdBytes: 65536
`);
  const w = await runCli(['validate', '-c', never.file]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /warning: \S+portcullis\.yaml:12 apis\[0\]\.stages\.uploads\.spool\.thresholdBytes: 65536 is not below the body limit \(limits\.maxBodySize 65536\): no body is spooled/);
});

test('a reload with a spool dir that cannot be used is refused with its line; the previous config keeps serving and spooling', async () => {
  const up = await startUpstream();
  const { dir, file } = writeConfig('');
  mkdirSync(join(dir, 'spool'));
  const yaml = (spoolDir: string) => `${E2E_PREAMBLE}apis:
  - name: files
    upstream: ${up.url}
    prefixes: [/files]
    stages:
      uploads:
        types: [application/octet-stream]
        spool:
          thresholdBytes: 1024
          dir: ${spoolDir}
`;
  writeFileSync(file, yaml('./spool'));
  const gw = await startGatewayProcess(file);
  try {
    writeFileSync(file, yaml('./gone'));
    gw.child.kill('SIGHUP');
    const failure = await gw.waitForLog((l) => l.msg === 'config reload failed');
    assert.match(String(failure.error), /portcullis\.yaml:\d+ apis\[0\]\.stages\.uploads\.spool\.dir: cannot make a private spool directory in \S+gone: ENOENT/);
    const body = randomBytes(4096);
    const res = await fetch(`${gw.url}/files/up`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200);
    assert.deepEqual(up.seen.at(-1)!.body, body, 'forwarded from the old config\'s spool');
    const spoolDirs = readdirSync(join(dir, 'spool'));
    assert.equal(spoolDirs.length, 1);
    // Removed when the gateway's response closes, which may come a moment after the client has read it.
    const left = () => readdirSync(join(dir, 'spool', spoolDirs[0]!));
    for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(left(), [], 'and removed after');
  } finally {
    await gw.stop();
    await up.close();
  }
});
