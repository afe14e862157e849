import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { CLI } from '../../test/helpers/paths.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../../test/helpers/gateway.js';
import { startDemoUpstream, type DemoUpstream } from './upstream.js';
import { findPackageRoot } from '../../src/util/package-root.js';

// Every shell command of README.md, run against a started quickstart gateway (the quickstart's
// own config with ports 0): a curl's status must be the one its comment promises (200 when the
// comment promises none), a portcullis command must exit 0. A README command this test does not
// know how to run fails it, so the README cannot grow an untested command.

const root = findPackageRoot(import.meta.url);
const dir = join(root, 'examples', 'quickstart');

/** Commands the test does not run, and why (they install and build the project the test runs from). */
const NOT_RUN: Readonly<Record<string, string>> = {
  'npm ci && npm start': 'installs and builds; `npm start` runs examples/quickstart/run.ts, the same config this test starts',
  'npm ci && npm test': 'installs and runs the whole suite, this test included',
};

/**
 * Commands run with inputs this test cannot make up (a CI pipeline's own spec, tokens, an event
 * file): each has its own end-to-end test, named here.
 */
const TESTED_ELSEWHERE: readonly [RegExp, string][] = [
  [/^portcullis scan /, 'test/e2e/scan.test.ts scans examples/vulnerable-shop directly and behind a gateway (JUnit too)'],
  [/^node dist\/examples\/vulnerable-shop\/server\.js &$/, 'test/e2e/scan.test.ts starts the vulnerable shop'],
];

interface ReadmeCommand { readonly line: number; readonly command: string; readonly comment: string }

/**
 * README commands run here with the quickstart's files in place of the reader's: the command as
 * written, only its paths replaced (their output goes to a temporary folder, never the repository).
 */
const RUN_WITH_QUICKSTART_FILES: readonly RegExp[] = [/^portcullis lint /, /^portcullis report /];

/** The commands of the README's ```sh blocks: continuation lines joined, the trailing comment split off. */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  const lines = markdown.split('\n');
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^```sh\s*$/.test(l)) { inBlock = true; continue; }
    if (/^```/.test(l)) { inBlock = false; continue; }
    // Blank lines and whole-line comments are not commands.
    if (!inBlock || l.trim() === '' || l.trimStart().startsWith('#')) continue;
    const start = i + 1;
    let text = l;
    while (text.trimEnd().endsWith('\\') && i + 1 < lines.length) text = `${text.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    // A comment starts at a " # " outside quotes (the commands here quote no "#").
    const hash = text.search(/\s#\s/);
    out.push({ line: start, command: (hash < 0 ? text : text.slice(0, hash)).trim(), comment: hash < 0 ? '' : text.slice(hash).replace(/^\s#\s*/, '').trim() });
  }
  return out;
}

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', command], { cwd: root, maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe('README commands against a started quickstart gateway', () => {
  let up: DemoUpstream;
  let gw: GatewayProcess;
  let configFile: string;
  let workDir: string;
  const commands = readmeCommands(readFileSync(join(root, 'README.md'), 'utf8'));

  before(async () => {
    up = await startDemoUpstream(0);
    const cfg = parse(readFileSync(join(dir, 'portcullis.yaml'), 'utf8')) as {
      server: { port: number; host?: string }; admin: { port: number }; watch?: boolean; apis: { upstream: string; openapi: string }[];
    };
    cfg.server.port = 0;
    cfg.server.host = '127.0.0.1';
    cfg.admin.port = 0;
    cfg.watch = false;
    cfg.apis[0]!.upstream = `http://127.0.0.1:${up.port}`;
    cfg.apis[0]!.openapi = join(dir, 'openapi.yaml');
    // The JSON-lines event file `portcullis report --events` reads, filled by the curls below.
    (cfg as Record<string, unknown>).sinks = { file: [{ name: 'events', path: './events.jsonl', flushIntervalMs: 100 }] };
    const written = writeConfig(stringify(cfg));
    configFile = written.file;
    workDir = written.dir;
    // `portcullis start -c portcullis.yaml` of the README: the gateway under test.
    gw = await startGatewayProcess(configFile, { timeoutMs: 60_000 });
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('finds the README commands (the walk-through and the protect-your-own-API block)', () => {
    assert.ok(commands.filter((c) => c.command.startsWith('curl ')).length >= 6, JSON.stringify(commands));
    assert.ok(commands.some((c) => c.command.startsWith('npx portcullis start')));
    for (const c of commands) {
      const known = c.command.startsWith('curl ') || c.command.startsWith('npx portcullis ') || NOT_RUN[c.command] !== undefined
        || RUN_WITH_QUICKSTART_FILES.some((re) => re.test(c.command)) || TESTED_ELSEWHERE.some(([re]) => re.test(c.command));
      assert.ok(known, `README.md:${c.line}: no way to test "${c.command}": teach examples/quickstart/readme.test.ts to run it`);
    }
  });

  it('every curl answers the status its comment promises', async () => {
    const publicUrl = new URL(gw.url);
    const adminUrl = new URL(gw.adminUrl);
    for (const c of commands.filter((x) => x.command.startsWith('curl '))) {
      const command = c.command
        .replaceAll('localhost:8080', `127.0.0.1:${publicUrl.port}`)
        .replaceAll('127.0.0.1:9901', `127.0.0.1:${adminUrl.port}`);
      const r = await sh(command);
      const where = `README.md:${c.line} ${c.command} (${c.comment})`;
      if (command.includes(' -i ')) {
        const status = /^HTTP\/[\d.]+ (\d{3})/m.exec(r.stdout)?.[1];
        const promised = /\b([1-5]\d\d)\b/.exec(c.comment)?.[1] ?? '200';
        assert.equal(status, promised, `${where}\n${r.stdout.slice(0, 500)}${r.stderr}`);
      } else {
        assert.equal(r.code, 0, `${where}\n${r.stderr}`);
        assert.notEqual(r.stdout.trim(), '', where);
      }
    }
  });

  it('every portcullis command runs (validate, routes; start is the gateway above)', async () => {
    for (const c of commands.filter((x) => x.command.startsWith('npx portcullis '))) {
      const [, sub] = /^npx portcullis (\S+)/.exec(c.command)!;
      if (sub === 'start') {
        assert.match(c.command, /^npx portcullis start -c portcullis\.yaml$/);
        continue;
      }
      const args = c.command.replace(/^npx portcullis /, '').replace('-c portcullis.yaml', `-c ${configFile}`);
      const r = await sh(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`);
      assert.equal(r.code, 0, `README.md:${c.line} ${c.command}\n${r.stderr}`);
      if (sub === 'validate') assert.match(r.stdout, /OK \(1 API, \d+ routes\)/);
      if (sub === 'routes') assert.match(r.stdout, /METHOD\s+PATH\s+API/);
    }
  });

  it('the security-testing commands run as written, on the quickstart\'s document, config and events (lint, report)', async () => {
    const run = commands.filter((c) => RUN_WITH_QUICKSTART_FILES.some((re) => re.test(c.command)));
    assert.equal(run.length, 2, JSON.stringify(run));
    const events = join(workDir, 'events.jsonl');
    for (let i = 0; i < 50 && !existsSync(events); i++) await new Promise((r) => setTimeout(r, 100));
    for (const c of run) {
      const args = c.command.replace(/^portcullis /, '')
        .replace('api/openapi.yaml', join(dir, 'openapi.yaml'))
        .replace('-c portcullis.yaml', `-c ${configFile}`)
        .replace('/var/log/portcullis/events.jsonl', events)
        .replace(/-o (\S+)/, (_m, out: string) => `-o ${join(workDir, out)}`);
      const r = await sh(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`);
      const where = `README.md:${c.line} ${c.command}\n${r.stderr}`;
      if (c.command.startsWith('portcullis lint ')) {
        // --fail-on high: 1 is the gate closing on a finding, not a failure to run.
        assert.ok(r.code === 0 || r.code === 1, where);
        const sarif = JSON.parse(readFileSync(join(workDir, 'lint.sarif'), 'utf8')) as { version: string; runs: unknown[] };
        assert.equal(sarif.version, '2.1.0', where);
        assert.equal(sarif.runs.length, 1, where);
      } else {
        assert.equal(r.code, 0, where);
        const html = readFileSync(join(workDir, 'report.html'), 'utf8');
        assert.match(html, /<html[\s>]/i, where);
        assert.match(html, /OWASP/, where);
      }
    }
  });
});
