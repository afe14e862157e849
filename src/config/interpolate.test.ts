import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSecretPath } from './interpolate.js';
import { ConfigError, loadConfig } from './load.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const FIXTURE = 'test/fixtures/config/interpolated.yaml';
const ENV = { PCL_TEST_UPSTREAM: 'http://127.0.0.1:9000', PCL_TEST_INJECT: 'a: b\nc: d\n- e' };

async function writeConfig(text: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pcl-interp-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, text);
  return file;
}

function api(upstream: string, extra = ''): string {
  return `apis:\n  - name: demo\n    upstream: ${upstream}\n    prefixes: [/]\n${extra}`;
}

async function failure(file: string, env: NodeJS.ProcessEnv): Promise<ConfigError> {
  try {
    await loadConfig(file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

describe('interpolation', () => {
  it('resolves env vars, defaults, files and the $${ escape', async () => {
    const loaded = await loadConfig(FIXTURE, ENV);
    const { config } = loaded;
    const api0 = config.apis[0];
    assert.equal(config.server.port, 8081, 'an unquoted whole reference reads as a number');
    assert.equal(config.server.host, '127.0.0.1', 'a quoted reference stays a string');
    assert.equal(api0?.upstream, 'http://127.0.0.1:9000');
    assert.deepEqual(api0?.prefixes, ['/${literal}']);
    const jwt = api0?.stages?.jwt as Record<string, unknown>;
    assert.equal(jwt.secret, 's3cr3t-from-file', 'file content with its trailing newline trimmed');
  });

  it('never lets a value add YAML structure', async () => {
    const loaded = await loadConfig(FIXTURE, ENV);
    const jwt = loaded.config.apis[0]?.stages?.jwt as Record<string, unknown>;
    assert.equal(jwt.note, 'a: b\nc: d\n- e');
    assert.deepEqual(Object.keys(jwt).sort(), ['note', 'secret']);
    // A value that tries to close the URL and add a key is still one (invalid) URL.
    const file = await writeConfig(api('${UP}'));
    const err = await failure(file, { UP: 'http://127.0.0.1:1\n    openapi: /etc/passwd' });
    assert.equal(err.message, `${file}:3 apis[0].upstream: must be an http(s) URL`);
  });

  it('remembers which paths came from interpolation', async () => {
    const loaded = await loadConfig(FIXTURE, ENV);
    assert.deepEqual([...loaded.secretPaths].sort(), [
      'apis[0].stages.jwt.note', 'apis[0].stages.jwt.secret', 'apis[0].upstream', 'server.host', 'server.port',
    ]);
    assert.equal(isSecretPath(loaded, ['apis', 0, 'upstream']), true);
    assert.equal(isSecretPath(loaded, ['apis', 0, 'name']), false);
    assert.equal(isSecretPath(loaded, ['apis', 0, 'prefixes', 0]), false, 'an escape alone is not interpolation');
  });

  it('marks every alias of an interpolated anchor as secret', async () => {
    const file = await writeConfig(api('http://127.0.0.1:1', '    stages:\n      a: { mode: monitor, token: &t "${TOKEN}" }\n      b: { token: *t }\n'));
    const loaded = await loadConfig(file, { TOKEN: 'abc' });
    assert.equal((loaded.config.apis[0]?.stages?.b as Record<string, unknown>).token, 'abc');
    assert.ok(isSecretPath(loaded, ['apis', 0, 'stages', 'a', 'token']));
    assert.ok(isSecretPath(loaded, ['apis', 0, 'stages', 'b', 'token']));
  });

  it('uses the default for unset and for empty variables, and keeps an empty value without default', async () => {
    const file = await writeConfig(`logging:\n  level: \${LEVEL:-warn}\nadmin:\n  host: "\${ADMIN_HOST}"\n${api('http://127.0.0.1:1')}`);
    assert.equal((await loadConfig(file, {LEVEL: '', ADMIN_HOST: ''})).config.logging.level, 'warn');
    assert.equal((await loadConfig(file, {LEVEL: 'debug', ADMIN_HOST: ''})).config.logging.level, 'debug');
    assert.equal((await loadConfig(file, {ADMIN_HOST: ''})).config.admin.host, '');
  });

  it('does not touch mapping keys', async () => {
    const file = await writeConfig(api('http://127.0.0.1:1', '    stages:\n      jwt:\n        ${KEY}: 1\n'));
    const loaded = await loadConfig(file, { KEY: 'injected' });
    assert.deepEqual(Object.keys(loaded.config.apis[0]?.stages?.jwt ?? {}), ['${KEY}']);
  });

  it('keeps a quoted number reference a string, so the schema can complain', async () => {
    const file = await writeConfig(`server:\n  port: "\${PORT}"\n${api('http://127.0.0.1:1')}`);
    const err = await failure(file, { PORT: '8081' });
    assert.equal(err.code, 'PCL_ERR_CONFIG_INVALID');
    assert.equal(err.message, `${file}:2 server.port: must be an integer`);
  });

  it('reports every unresolved reference with its line and path', async () => {
    const file = await writeConfig([
      'server:',
      '  host: ${NOPE}',
      'apis:',
      '  - name: demo',
      '    upstream: http://${HOST}:${MISSING_PORT}',
      '    prefixes: [/]',
      '    stages:',
      '      jwt:',
      '        secret: ${file:./absent.txt}',
      '        other: ${1BAD}',
      '        open: ${UNTERMINATED',
      '',
    ].join('\n'));
    const err = await failure(file, { HOST: '127.0.0.1' });
    assert.equal(err.code, 'PCL_ERR_CONFIG_INTERPOLATION');
    assert.deepEqual(err.message.split('\n'), [
      `${file}:2 server.host: environment variable NOPE is not set`,
      `${file}:5 apis[0].upstream: environment variable MISSING_PORT is not set`,
      `${file}:9 apis[0].stages.jwt.secret: \${file:./absent.txt}: file not found`,
      `${file}:10 apis[0].stages.jwt.other: invalid reference "\${1BAD}" (expected \${NAME}, \${NAME:-default}, \${file:path} or \${vault:path#field})`,
      `${file}:11 apis[0].stages.jwt.open: unterminated "\${" (write "$\${" for a literal "\${")`,
    ]);
  });

  it('refuses a directory as a file reference and never echoes file content', async () => {
    const file = await writeConfig(api('http://127.0.0.1:1', '    stages:\n      jwt:\n        secret: ${file:.}\n'));
    const err = await failure(file, {});
    assert.equal(err.message, `${file}:7 apis[0].stages.jwt.secret: \${file:.}: not a regular file`);
  });

  it('reads files relative to the config file, not the working directory', async () => {
    const file = await writeConfig(api('${file:upstream.txt}'), { 'upstream.txt': 'http://127.0.0.1:7000\r\n\n' });
    const loaded = await loadConfig(file, {});
    assert.equal(loaded.config.apis[0]?.upstream, 'http://127.0.0.1:7000');
  });
});
