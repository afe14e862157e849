import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../test/helpers/paths.js';
import { keysCommand, type CliIo } from './keys.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { out: (s) => out.push(s), err: (s) => err.push(s), env, now: () => NOW };
  return { value, out: () => out.join(''), err: () => err.join('') };
}

const k = () => randomBytes(32).toString('base64');

function setup(keyFile: string, extraStages = '') {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-keyring-cli-'));
  writeFileSync(join(dir, 'pii.key'), keyFile, { mode: 0o600 });
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, `keyring:
  keys:
    pii: { file: pii.key, length: 32, versions: 2, rotationDays: 30 }
    session: { env: PCL_TEST_SESSION_KEY, encoding: hex }
apis:
  - name: a
    upstream: http://127.0.0.1:9
    prefixes: [/a]
    stages:
      field-encryption: { key: pii, fields: [/ssn, /card/number] }${extraStages}
`);
  return { dir, file };
}

describe('portcullis keys --keyring', () => {
  test('list shows kid, source, age, next rotation and usable kids; never a key', async () => {
    const [a, b] = [k(), k()];
    const { file } = setup(`2:${a}\n1:${b}\n`);
    const hex = randomBytes(16).toString('hex');
    const o = io({ PCL_TEST_SESSION_KEY: hex });
    assert.equal(await keysCommand(['list', '--keyring', file], o.value), 0, o.err());
    const lines = o.out().trim().split('\n');
    assert.equal(lines[0], 'NAME\tCURRENT\tSOURCE\tAGE\tNEXT ROTATION\tUSABLE KIDS');
    assert.match(lines[1]!, /^pii\tpii\.v2\tfile:pii\.key\t\d+[dh]\t(\d{4}-\d\d-\d\d|due)\tpii\.v2,pii\.v1$/);
    assert.equal(lines[2], 'session\tsession.v1\tenv:PCL_TEST_SESSION_KEY\t-\t-\tsession.v1');
    for (const secret of [a, b, hex]) assert.equal(o.out().includes(secret) || o.err().includes(secret), false);
    const json = io({ PCL_TEST_SESSION_KEY: hex });
    assert.equal(await keysCommand(['list', '--keyring', file, '--format', 'json'], json.value), 0);
    assert.deepEqual((JSON.parse(json.out()) as { name: string }[]).map((x) => x.name), ['pii', 'session']);
  });

  test('rotate adds a new version to the key file (0600), keeps `versions` of them, prints the kid only', async () => {
    const [a, b] = [k(), k()];
    const { file, dir } = setup(`2:${a}\n1:${b}\n`);
    const env = { PCL_TEST_SESSION_KEY: 'ab'.repeat(16) };
    const o = io(env);
    assert.equal(await keysCommand(['rotate', '--keyring', file, '--key', 'pii'], o.value), 0, o.err());
    assert.equal(o.out(), 'pii: new current kid pii.v3\n');
    assert.match(o.err(), /no longer usable after the reload: pii\.v1/);
    const text = readFileSync(join(dir, 'pii.key'), 'utf8');
    const lines = text.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['3', '2']);
    assert.equal(lines[1], `2:${a}`);
    assert.equal(Buffer.from(lines[0]!.slice(2), 'base64').length, 32);
    assert.equal(o.out().includes(lines[0]!.slice(2)) || o.err().includes(lines[0]!.slice(2)), false, 'the new key is not printed');
    assert.equal(statSync(join(dir, 'pii.key')).mode & 0o777, 0o600);
    const l = io(env);
    await keysCommand(['list', '--keyring', file], l.value);
    assert.match(l.out(), /^pii\tpii\.v3\t.*\tpii\.v3,pii\.v2$/m);
  });

  test('refusals: an env key, an unknown key, --file with --keyring, create with --keyring, a broken config', async () => {
    const { file } = setup(k());
    const env = { PCL_TEST_SESSION_KEY: 'ab'.repeat(16) };
    let o = io(env);
    assert.equal(await keysCommand(['rotate', '--keyring', file, '--key', 'session'], o.value), 1);
    assert.match(o.err(), /comes from the environment variable PCL_TEST_SESSION_KEY: rotate it where the variable is set/);
    o = io(env);
    assert.equal(await keysCommand(['rotate', '--keyring', file, '--key', 'nope'], o.value), 1);
    assert.match(o.err(), /has no keyring key "nope" \(keys: pii, session\)/);
    o = io(env);
    assert.equal(await keysCommand(['list', '--keyring', file, '--file', 'keys.yaml'], o.value), 1);
    assert.match(o.err(), /not both/);
    o = io(env);
    assert.equal(await keysCommand(['create', '--keyring', file], o.value), 1);
    assert.match(o.err(), /keys create does not apply to --keyring/);
    o = io({});
    assert.equal(await keysCommand(['list', '--keyring', file], o.value), 1);
    assert.match(o.err(), /portcullis\.yaml:4 keyring\.keys\.session\.env: environment variable PCL_TEST_SESSION_KEY is not set/);
  });
});

function cli(args: string[], stdin: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('portcullis fle reencrypt', () => {
  test('stdin to stdout: clear fields are encrypted, old kids move to the current one, current ones stay byte for byte', async () => {
    const [v1, v2] = [k(), k()];
    const { file } = setup(`1:${v1}\n`);
    const env = { PCL_TEST_SESSION_KEY: 'ab'.repeat(16) };
    // Version 1 data first: encrypt clear records with the v1-only keyring.
    const first = await cli(['fle', 'reencrypt', '-c', file, '--key', 'pii'], '{"id":1,"ssn":"123-45-6789","card":{"number":"4111"}}\n\n{"id":2,"name":"no fields"}\n', env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^2 records: 0 fields re-encrypted under pii\.v1, 0 already current, 2 encrypted from clear$/m);
    assert.equal(first.stdout.includes('123-45-6789'), false);
    // Rotate by hand: v2 current.
    writeFileSync(join(file, '..', 'pii.key'), `2:${v2}\n1:${v1}\n`);
    const mixed = `${first.stdout.trim().split('\n')[0]}\n`;
    const second = await cli(['fle', 'reencrypt', '-c', file, '--key', 'pii', '--fields', '/ssn'], mixed, env);
    assert.equal(second.code, 0, second.stderr);
    const rec = JSON.parse(second.stdout) as { ssn: string; card: { number: string } };
    const kid = (jwe: string) => (JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    assert.equal(kid(rec.ssn), 'pii.v2');
    assert.equal(kid(rec.card.number), 'pii.v1', '--fields limits the run to /ssn');
    const third = await cli(['fle', 'reencrypt', '-c', file, '--key', 'pii'], second.stdout, env);
    assert.equal(JSON.parse(third.stdout).ssn, rec.ssn, 'already current: unchanged');
    assert.match(third.stderr, /1 fields re-encrypted under pii\.v2, 1 already current/);
  });

  test('a line that is not JSON or a field that does not decrypt stops with exit 1 and the line number', async () => {
    const { file } = setup(k());
    const env = { PCL_TEST_SESSION_KEY: 'ab'.repeat(16) };
    const bad = await cli(['fle', 'reencrypt', '-c', file, '--key', 'pii'], '{"ssn":"a"}\nnot json\n', env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /portcullis fle: line 2: not JSON/);
    const forged = `${Buffer.from('{"alg":"dir","enc":"A256GCM","kid":"pii.v1"}').toString('base64url')}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`;
    const tampered = await cli(['fle', 'reencrypt', '-c', file, '--key', 'pii'], `${JSON.stringify({ ssn: forged })}\n`, env);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /line 1 \/ssn: does not decrypt \(tampered\)/);
    const usage = await cli(['fle', 'reencrypt', '-c', file], '', env);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /--key NAME is required/);
  });
});
