import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from './load.js';
import { REDACTED, redactConfig } from './redact.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('redactConfig', () => {
  it('hides interpolated values and secret-looking keys, keeps references and names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pcl-redact-'));
    dirs.push(dir);
    await writeFile(join(dir, 'cert.pem'), 'x');
    await writeFile(join(dir, 'key.pem'), 'x');
    const file = join(dir, 'portcullis.yaml');
    await writeFile(file, [
      'server:',
      '  tls: { cert: ./cert.pem, key: ./key.pem }',
      'apis:',
      '  - name: demo',
      '    upstream: ${UPSTREAM}',
      '    prefixes: [/]',
      '    stages:',
      '      api-key:',
      '        keys: [plain-key-1]',
      '        apiKeyHeader: x-api-key',
      '      jwt:',
      '        clientSecret: hunter2',
      '        adminPassword: { nested: hunter3 }',
      '        tokenUrl: https://idp.example/token',
      '        privateKey: inline',
      '        audience: ${AUD}',
      '',
    ].join('\n'));
    const loaded = await loadConfig(file, { UPSTREAM: 'http://10.1.2.3:8080', AUD: 'aud-secret' });
    const out = redactConfig(loaded) as { server: { tls: Record<string, unknown> }; apis: Array<Record<string, unknown> & { stages: Record<string, Record<string, unknown>> }> };
    const api = out.apis[0];
    assert.ok(api);
    assert.equal(api.upstream, REDACTED);
    assert.equal(api.name, 'demo');
    assert.deepEqual(api.stages['api-key']?.keys, REDACTED);
    assert.equal(api.stages['api-key']?.apiKeyHeader, 'x-api-key');
    assert.equal(api.stages.jwt?.clientSecret, REDACTED);
    assert.equal(api.stages.jwt?.adminPassword, REDACTED);
    assert.equal(api.stages.jwt?.privateKey, REDACTED);
    assert.equal(api.stages.jwt?.audience, REDACTED);
    assert.equal(api.stages.jwt?.tokenUrl, 'https://idp.example/token');
    assert.equal(out.server.tls.key, './key.pem', 'a file path, not key material');
    assert.doesNotMatch(JSON.stringify(out), /hunter|plain-key|10\.1\.2\.3|aud-secret|inline/);
    // The loaded config itself is unchanged.
    assert.equal(loaded.config.apis[0]?.upstream, 'http://10.1.2.3:8080');
  });
});
