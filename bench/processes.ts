import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A target process started by the bench. */
export interface TargetProcess {
  readonly pid: number;
  readonly port: number;
  /** The gateway's admin listener (health, metrics), when the process is a gateway. */
  readonly adminPort?: number;
  /** Sends SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Keeps the last few KiB of a child's stderr so a failure can be explained. */
function tail(child: ChildProcess, limit = 4_096): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => { text = (text + chunk).slice(-limit); });
  return () => text.trim();
}

function stopper(child: ChildProcess, graceMs = 5_000): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/**
 * Runs a helper script (fixed upstream, minimal proxy) in its own Node process and waits for
 * its "listening <port>" line.
 *
 * @example
 * const up = await startScript(new URL('./fixed-upstream.js', import.meta.url), {});
 */
export function startScript(script: URL, env: NodeJS.ProcessEnv, timeoutMs = 10_000, nodeArgs: readonly string[] = []): Promise<TargetProcess> {
  // execArgv is inherited so the bench also runs under tsx (its loader comes along); nodeArgs add e.g. --cpu-prof.
  const child = spawn(process.execPath, [...process.execArgv, ...nodeArgs, fileURLToPath(script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors = tail(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}${errors() ? `: ${errors()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`${fileURLToPath(script)} did not report a port within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code) => fail(`${fileURLToPath(script)} exited with ${code}`));
    child.once('error', (err) => fail(err.message));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /listening (\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({ pid: child.pid!, port: Number(m[1]), stop: stopper(child) });
    });
  });
}

/**
 * Starts the Portcullis CLI on a config and waits until the admin listener's /readyz
 * answers 200. The gateway's stdout (logs) is discarded; stderr is kept for the error.
 *
 * @example
 * const gw = await startGatewayProcess('dist/src/cli/main.js', '/tmp/x/portcullis.yaml', 18080, 19901);
 */
export async function startGatewayProcess(cli: string, configFile: string, port: number, adminPort: number, timeoutMs = 20_000, extra: { args?: readonly string[]; nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<TargetProcess> {
  // nodeArgs (e.g. --cpu-prof) go to the gateway's Node; args to `portcullis start` (e.g. --workers 2).
  const argv = [...(extra.nodeArgs ?? []), cli, 'start', '-c', configFile, ...(extra.args ?? [])];
  // PCL_BENCH_GATEWAY_CPU=1 (with the bench itself under `taskset -c 0`): the gateway on a core of
  // its own, the load generator and upstream on the other, as issue 13's measurements are made;
  // without it an open-loop generator at 3x overload competes with the gateway for the same core.
  const cpu = process.env['PCL_BENCH_GATEWAY_CPU'];
  const [cmd, args] = cpu === undefined || cpu === '' ? [process.execPath, argv] : ['taskset', ['-c', cpu, process.execPath, ...argv]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...extra.env } });
  const errors = tail(child);
  let spawnError: Error | undefined;
  child.once('error', (err) => { spawnError = err; });
  const stop = stopper(child);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) throw spawnError;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gateway exited with ${child.exitCode ?? child.signalCode}${errors() ? `: ${errors()}` : ''}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status === 200) return { pid: child.pid!, port, adminPort, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`gateway not ready on 127.0.0.1:${adminPort}/readyz within ${timeoutMs} ms${errors() ? `: ${errors()}` : ''}`);
}

/**
 * A port that was free a moment ago on 127.0.0.1. The gateway needs its ports written in
 * its config, so the bench asks the kernel for one rather than guessing.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resident set size of a process in KiB, from /proc/<pid>/status (Linux); undefined elsewhere
 * or when the process is gone.
 *
 * @example
 * await rssKb(process.pid); // e.g. 61234
 */
export async function rssKb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in microseconds, from `/proc/<pid>/stat`;
 * undefined off Linux or when the process is gone. Per-request CPU is steadier than req/s on a
 * shared machine: a neighbour's load lowers throughput far more than it changes the work done.
 *
 * @example
 * const before = await cpuUs(pid); // ... load ... ; (after - before) / responses = µs per request
 */
export async function cpuUs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    // USER_HZ is 100 on every mainstream Linux build.
    return Number.isFinite(ticks) ? ticks * 10_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of a process and all its descendants (a `--workers` primary and its workers), in µs.
 *
 * @example
 * const us = await treeCpuUs(primaryPid);
 */
export async function treeCpuUs(pid: number): Promise<number | undefined> {
  const own = await cpuUs(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const child of await childPids(pid)) total += (await treeCpuUs(child)) ?? 0;
  return total;
}

async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(' ').filter((s) => s.trim() !== '').map(Number);
  } catch {
    return [];
  }
}
