import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, formatIssue, loadConfig } from './load.js';
import { ApiSchema, ConfigSchema, ServerSchema } from './schema.js';

/** The valid keys the message lists: the schema's properties, in schema order. */
const keysOf = (schema: { properties: Record<string, unknown> }): string => Object.keys(schema.properties).join(', ');

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const FIXTURES = 'test/fixtures/config';
const MINIMAL = 'apis:\n  - name: demo\n    upstream: http://127.0.0.1:3000\n    prefixes: [/]\n';

/** Writes a config (and side files) into a fresh temp dir; returns the config path. */
async function writeConfig(text: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pcl-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, text);
  return file;
}

async function failure(file: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  try {
    await loadConfig(file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig: valid files', () => {
  it('applies defaults, freezes deeply, and remembers where nodes are', async () => {
    const file = `${FIXTURES}/minimal.yaml`;
    const loaded = await loadConfig(file, {});
    const { config } = loaded;
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.http, true);
    assert.equal(config.admin.host, '127.0.0.1');
    assert.equal(config.logging.level, 'info');
    assert.equal(config.securityHeaders.mode, 'enforce');
    assert.equal(config.securityHeaders.hsts.enabled, true);
    assert.equal(config.apis[0]?.retries, 1);
    assert.deepEqual(config.apis[0]?.prefixes, ['/']);
    assert.equal(loaded.file, resolve(file));
    assert.equal(loaded.baseDir, resolve(FIXTURES));
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.apis) && Object.isFrozen(config.apis[0]?.prefixes));
    assert.ok(Object.isFrozen(config.securityHeaders.hsts));
    assert.throws(() => { (config.server as { port: number }).port = 1; }, TypeError);
    assert.deepEqual(loaded.locate(['apis', 0, 'upstream']), { line: 3, column: 15 });
    assert.equal(loaded.locate(['server', 'port']), undefined, 'a default has no node');
    assert.equal(loaded.secretPaths.size, 0);
  });

  it('accepts an API with an OpenAPI document that exists', async () => {
    const loaded = await loadConfig(`${FIXTURES}/with-openapi.yaml`, {});
    assert.equal(loaded.config.apis[0]?.openapi, './petstore.yaml');
  });

  it('issueAt points at the nearest node in the file and formats like load errors', async () => {
    const file = `${FIXTURES}/minimal.yaml`;
    const loaded = await loadConfig(file, {});
    const issue = loaded.issueAt(['apis', 0, 'stages', 'jwt', 'issuer'], 'must be set');
    assert.equal(formatIssue(issue), `${file}:2 apis[0].stages.jwt.issuer: must be set`);
    assert.equal(formatIssue(loaded.issueAt(['apis', 0, 'prefixes', 0], 'overlaps')), `${file}:4 apis[0].prefixes[0]: overlaps`);
  });
});

describe('loadConfig: unreadable and unparsable files', () => {
  it('reports a missing file with PCL_ERR_CONFIG_READ', async () => {
    const err = await failure('no/such/portcullis.yaml');
    assert.equal(err.code, 'PCL_ERR_CONFIG_READ');
    assert.equal(err.message, 'no/such/portcullis.yaml (root): file not found');
  });

  it('reports a YAML syntax error with line and column', async () => {
    const file = await writeConfig('apis:\n  - name: demo\n    upstream: [http://x\n');
    const err = await failure(file);
    assert.equal(err.code, 'PCL_ERR_CONFIG_READ');
    assert.equal(err.issues.length >= 1, true);
    assert.equal(typeof err.issues[0]?.line, 'number');
    assert.equal(typeof err.issues[0]?.column, 'number');
    assert.match(err.message, /^.*portcullis\.yaml:\d+ \(root\): YAML: .*\(column \d+\)/);
  });

  it('rejects duplicate keys at the line of the second key', async () => {
    const file = await writeConfig('apis:\n  - name: demo\n    upstream: http://127.0.0.1:3000\n    name: other\n    prefixes: [/]\n');
    const err = await failure(file);
    assert.equal(err.code, 'PCL_ERR_CONFIG_READ');
    assert.equal(err.message, `${file}:4 (root): YAML: duplicate key "name" (column 5)`);
  });

  it('rejects several YAML documents in one file', async () => {
    const err = await failure(await writeConfig(`${MINIMAL}---\n${MINIMAL}`));
    assert.equal(err.code, 'PCL_ERR_CONFIG_READ');
    assert.match(err.message, /multiple documents/);
  });

  it('refuses alias bombs instead of expanding them', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const err = await failure(await writeConfig(`${lines.join('\n')}\n${MINIMAL}`));
    assert.equal(err.code, 'PCL_ERR_CONFIG_READ');
    assert.match(err.message, /alias/i);
  });
});

describe('loadConfig: schema errors', () => {
  it('reports a bad upstream URL exactly', async () => {
    const file = `${FIXTURES}/bad-upstream.yaml`;
    const err = await failure(file);
    assert.equal(err.code, 'PCL_ERR_CONFIG_INVALID');
    assert.equal(err.message, `${file}:4 apis[0].upstream: must be an http(s) URL`);
    assert.deepEqual(err.issues, [{ file, line: 4, column: 15, path: 'apis[0].upstream', message: 'must be an http(s) URL' }]);
  });

  it('reports every problem at once, sorted by line', async () => {
    const file = `${FIXTURES}/many-errors.yaml`;
    const err = await failure(file);
    assert.equal(err.code, 'PCL_ERR_CONFIG_INVALID');
    assert.deepEqual(err.message.split('\n'), [
      `${file}:2 server.port: must be >= 0`,
      `${file}:3 server.trustedProxies[1]: must be an IP address or CIDR block, got "10.0.0.0/33"`,
      `${file}:3 server.trustedProxies[2]: must be an IP address or CIDR block, got "not-an-ip"`,
      `${file}:5 logging.level: must be one of: fatal, error, warn, info, debug, trace, silent`,
      `${file}:7 apis[0].upstream: is required`,
      `${file}:8 apis[0].uptream: unknown key "uptream" (did you mean "upstream"?); valid keys: ${keysOf(ApiSchema)}`,
      `${file}:12 apis[0].stages.jwt.mode: must be one of: off, monitor, enforce`,
      `${file}:13 apis[1].name: duplicate API name "demo"`,
      `${file}:14 apis[1].upstream: must be an http(s) URL`,
      `${file}:15 apis[1].openapi: file not found: ./missing-openapi.yaml`,
    ]);
  });

  it('points an unknown key at its own line and suggests only close keys', async () => {
    const file = await writeConfig(`server:\n  port: 8080\n  prot: 1\n  completelyWrong: 2\n${MINIMAL}`);
    const err = await failure(file);
    assert.deepEqual(err.message.split('\n'), [
      `${file}:3 server.prot: unknown key "prot" (did you mean "port"?); valid keys: ${keysOf(ServerSchema)}`,
      `${file}:4 server.completelyWrong: unknown key "completelyWrong"; valid keys: ${keysOf(ServerSchema)}`,
    ]);
  });

  it('reports a missing required property at the line of its parent', async () => {
    const file = await writeConfig('watch: true\napis:\n  - name: demo\n    prefixes: [/]\n');
    const err = await failure(file);
    assert.equal(err.message, `${file}:3 apis[0].upstream: is required`);
  });

  it('reports a missing apis list at the root', async () => {
    const file = await writeConfig('watch: false\n');
    const err = await failure(file);
    assert.equal(err.message, `${file}:1 apis: is required`);
  });

  it('reports an empty file as not a mapping', async () => {
    const err = await failure(await writeConfig(''));
    assert.match(err.message, /\(root\): must be a mapping$/);
  });

  it('reports wrong types, empty lists and unknown stage names readably', async () => {
    const file = await writeConfig([
      'server:',
      '  port: eighty',
      '  http: yes please',
      'apis:',
      '  - name: demo',
      '    upstream: http://127.0.0.1:3000',
      '    prefixes: []',
      '    stages:',
      '      Rate-Limit: {}',
      '',
    ].join('\n'));
    const err = await failure(file);
    assert.deepEqual(err.message.split('\n'), [
      `${file}:2 server.port: must be an integer`,
      `${file}:3 server.http: must be a boolean`,
      `${file}:7 apis[0].prefixes: must have at least 1 item`,
      `${file}:9 apis[0].stages.Rate-Limit: unknown key "Rate-Limit" (keys must match ^[a-z][a-z0-9-]*$)`,
    ]);
  });

  it('treats a __proto__ key as an unknown key and does not pollute prototypes', async () => {
    const file = await writeConfig(`__proto__:\n  polluted: true\n${MINIMAL}`);
    const err = await failure(file);
    assert.equal(err.message, `${file}:1 __proto__: unknown key "__proto__"; valid keys: ${keysOf(ConfigSchema)}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects upstream URLs with credentials, fragments or other schemes', async () => {
    for (const upstream of ['http://user:pw@127.0.0.1', 'http://127.0.0.1/#x', 'file:///etc/passwd', '/relative', '"http://127.0.0.1 /"']) {
      const file = await writeConfig(`apis:\n  - name: demo\n    upstream: ${upstream}\n    prefixes: [/]\n`);
      const err = await failure(file);
      assert.equal(err.message, `${file}:3 apis[0].upstream: must be an http(s) URL`, upstream);
    }
  });
});

describe('loadConfig: cross-field rules', () => {
  it('requires exactly one of openapi or prefixes, reported on the API', async () => {
    const file = await writeConfig([
      'apis:',
      '  - name: both',
      '    upstream: http://127.0.0.1:3000',
      '    openapi: ./doc.yaml',
      '    prefixes: [/]',
      '  - name: neither',
      '    upstream: http://127.0.0.1:3000',
      '',
    ].join('\n'), { 'doc.yaml': 'openapi: 3.1.0\n' });
    const err = await failure(file);
    assert.deepEqual(err.message.split('\n'), [
      `${file}:2 apis[0]: must have only one of "openapi" or "prefixes", not both`,
      `${file}:6 apis[1]: must have one of "openapi" (a document) or "prefixes" (pass-through paths)`,
    ]);
  });

  it('reports a missing OpenAPI document relative to the config file', async () => {
    const file = await writeConfig('apis:\n  - name: demo\n    upstream: http://127.0.0.1:3000\n    openapi: ./x.yaml\n');
    const err = await failure(file);
    assert.equal(err.message, `${file}:4 apis[0].openapi: file not found: ./x.yaml`);
  });

  it('reports missing TLS files and a server with nothing to listen on', async () => {
    const file = await writeConfig(`server:\n  http: false\n${MINIMAL}`);
    assert.equal((await failure(file)).message, `${file}:2 server.http: cannot be false without server.tls (nothing would listen)`);
    const tls = await writeConfig(`server:\n  http: false\n  tls:\n    cert: ./cert.pem\n    key: ./key.pem\n${MINIMAL}`, { 'cert.pem': 'x' });
    assert.equal((await failure(tls)).message, `${tls}:5 server.tls.key: file not found: ./key.pem`);
  });

  it('accepts valid trusted proxies (IPv4, IPv6, CIDR)', async () => {
    const file = await writeConfig(`server:\n  trustedProxies: [10.0.0.0/8, 192.168.1.1, '::1/128', 'fd00::/8']\n${MINIMAL}`);
    const loaded = await loadConfig(file, {});
    assert.deepEqual(loaded.config.server.trustedProxies, ['10.0.0.0/8', '192.168.1.1', '::1/128', 'fd00::/8']);
  });

  it('rejects malformed trusted proxies', async () => {
    for (const entry of ['10.0.0.0/', '10.0.0.0/08', '::1/129', '10.0.0.256', '10.0.0.0/8/8']) {
      const file = await writeConfig(`server:\n  trustedProxies: ['${entry}']\n${MINIMAL}`);
      assert.equal((await failure(file)).message, `${file}:2 server.trustedProxies[0]: must be an IP address or CIDR block, got "${entry}"`, entry);
    }
  });
});
