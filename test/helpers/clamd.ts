import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clamdPing } from '../../src/stages/uploads/clamd.js';

/** Debian's clamav-daemon. */
export const CLAMD = '/usr/sbin/clamd';
export const CLAMD_INSTALL = 'apt-get install -y clamav-daemon clamav';

/** The EICAR anti-virus test file (harmless; every scanner detects it by design). */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
/** The name our one-signature database gives it; clamd appends .UNOFFICIAL to non-Cisco signatures. */
export const EICAR_SIGNATURE = 'Eicar-Test-Signature.UNOFFICIAL';

/** A clamd of the test's own on loopback. */
export interface ClamdProcess {
  /** tcp://127.0.0.1:<port> */
  readonly tcp: string;
  /** unix:<dir>/clamd.sock */
  readonly unix: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** A TCP port nothing listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Starts `clamd` in the foreground with a config and a one-signature database (EICAR, as an
 * .ndb body signature) in a fresh temp dir: no freshclam, no network, loopback only. Resolves
 * once PING answers PONG on TCP (about 0.2 s with this database).
 *
 * @example
 * const clamd = await startClamd();
 * // scan: { clamd: clamd.tcp }
 * await clamd.stop();
 */
export async function startClamd(timeoutMs = 60_000): Promise<ClamdProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-clamd-'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'eicar.ndb'), `Eicar-Test-Signature:0:*:${Buffer.from(EICAR, 'latin1').toString('hex')}\n`);
  const port = await freePort();
  const socket = join(dir, 'clamd.sock');
  writeFileSync(join(dir, 'clamd.conf'), [
    'Foreground yes',
    `DatabaseDirectory ${join(dir, 'db')}`,
    `LocalSocket ${socket}`,
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `LogFile ${join(dir, 'clamd.log')}`,
    `TemporaryDirectory ${dir}`,
    'StreamMaxLength 10M',
    'SelfCheck 0',
    '',
  ].join('\n'));
  const child: ChildProcess = spawn(CLAMD, ['-c', join(dir, 'clamd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const killOnExit = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const log = () => { try { return readFileSync(join(dir, 'clamd.log'), 'utf8'); } catch { return ''; } };
  const address = { host: '127.0.0.1', port };
  const deadline = Date.now() + timeoutMs;
  while (!(await clamdPing(address, 1000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      killOnExit();
      throw new Error(`clamd did not answer PING: ${stderr}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    tcp: `tcp://127.0.0.1:${port}`,
    unix: `unix:${socket}`,
    log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
