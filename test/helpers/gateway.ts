import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';

/** A gateway process started from the compiled CLI. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly httpsUrl: string | undefined;
  readonly adminUrl: string;
  readonly configFile: string;
  readonly dir: string;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the first log line matching `pred` (waits up to timeoutMs). */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Writes a config (YAML text) and optional extra files into a fresh temp dir. */
export function writeConfig(yaml: string, files: Record<string, string> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, yaml);
  return { dir, file };
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `portcullis start -c <file>` and waits for its "listening" log line, which
 * carries the bound ports (configs use port 0).
 *
 * @example
 * const gw = await startGatewayProcess(file);
 * await fetch(gw.url + '/v1/books');
 * await gw.stop();
 */
export async function startGatewayProcess(configFile: string, opts: { args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '-c', configFile, ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let parsed: Record<string, unknown>;
      try { parsed = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      logs.push(parsed);
      for (const w of [...waiters]) if (w.pred(parsed)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(parsed); }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // A gateway a test forgot to stop must not keep the test file's process alive for ever (the
  // runner would wait on it): the child and its pipes do not hold the event loop, and it is
  // killed when the test process exits.
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  const killOnExit = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const found = logs.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a log line; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
      void exited.then((code) => { clearTimeout(t); reject(new Error(`gateway exited with ${code}: ${stderr}`)); });
    });
  };
  // 30 s: a start takes about a second, but several under a shared machine's full load took over 15.
  let listening: Record<string, unknown>;
  try {
    listening = await waitForLog((l) => l.msg === 'portcullis listening', opts.timeoutMs ?? 30_000);
  } catch (err) {
    // The caller never gets a handle to stop it: stop it here, or it outlives the test.
    killOnExit();
    throw err;
  }
  return {
    child,
    url: String(listening.http ?? ''),
    httpsUrl: listening.https === undefined ? undefined : String(listening.https),
    adminUrl: String(listening.admin ?? ''),
    configFile,
    dir: join(configFile, '..'),
    logs,
    stderr: () => stderr,
    waitForLog,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      // A drain that never ends is a bug the test should see, not a hang: SIGKILL after 20 s.
      const t = setTimeout(() => { stderr += '\n[test helper] no exit 20 s after SIGTERM: SIGKILL\n'; child.kill('SIGKILL'); }, 20_000);
      try { return await exited; } finally { clearTimeout(t); }
    },
  };
}
