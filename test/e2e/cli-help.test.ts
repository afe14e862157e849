import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';

function cli(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The commands the top-level usage lists (`  start -c FILE ...`), so a new command is covered by this test as soon as it is listed. */
function commandsOf(usage: string): string[] {
  const list = usage.slice(usage.indexOf('Commands:'));
  return [...new Set([...list.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!))];
}

test('portcullis <command> --help prints that command\'s usage, options and an example', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  const COMMANDS = commandsOf(top.stdout);
  for (const c of ['start', 'validate', 'routes', 'schema', 'audit', 'keys', 'fle', 'totp', 'revoke', 'inventory', 'lint', 'scan', 'report']) {
    assert.ok(COMMANDS.includes(c), `${c} in ${COMMANDS.join(' ')}`);
  }
  const texts = new Set<string>();
  for (const command of COMMANDS) {
    for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage:[\\s\\S]*portcullis ${command}`), args.join(' '));
      assert.match(r.stdout, /Example:\n {2}\S/, `${args.join(' ')} has an example`);
      assert.notEqual(r.stdout, top.stdout);
      texts.add(r.stdout);
    }
  }
  assert.equal(texts.size, COMMANDS.length, 'one text per command');
  assert.match((await cli(['start', '--help'])).stdout, /--workers N/);
  const version = await cli(['version', '--help']);
  assert.match(version.stdout, /^Usage: portcullis --version/, 'help, not the version');
  const unknown = await cli(['help', 'nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command "nope"/);
});

test('start, validate and routes without -c say where they looked and suggest -c', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'pcl-nocfg-'));
  for (const command of ['start', 'validate', 'routes']) {
    const r = await cli([command], empty);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`looked for ${join(empty, 'portcullis.yaml')}`), r.stderr);
    assert.match(r.stderr, new RegExp(`portcullis ${command} -c examples/quickstart/portcullis.yaml`));
  }
});
