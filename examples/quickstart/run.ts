import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startDemoUpstream, type DemoUpstream } from './upstream.js';
import { findPackageRoot } from '../../src/util/package-root.js';

/** The ports the quickstart config declares; read from the file so they never drift apart. */
export interface QuickstartPorts {
  readonly publicPort: number;
  readonly adminPort: number;
  readonly upstreamPort: number;
}


/**
 * Reads the public, admin and upstream ports out of a quickstart-shaped config.
 *
 * @example
 * readPorts('examples/quickstart/portcullis.yaml'); // { publicPort: 8080, adminPort: 9901, upstreamPort: 3000 }
 */
export function readPorts(configFile: string): QuickstartPorts {
  const cfg = parse(readFileSync(configFile, 'utf8')) as {
    server?: { port?: number }; admin?: { port?: number }; apis?: { upstream?: string }[];
  };
  const upstream = new URL(cfg.apis?.[0]?.upstream ?? 'http://127.0.0.1:3000');
  return {
    publicPort: cfg.server?.port ?? 8080,
    adminPort: cfg.admin?.port ?? 9901,
    upstreamPort: Number(upstream.port || 80),
  };
}

/**
 * Polls `GET /readyz` on the admin listener until it answers 200, the child exits, or the
 * deadline passes.
 *
 * @example
 * await waitReady(9901, child, 15_000); // true when ready
 */
export async function waitReady(adminPort: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function banner(p: QuickstartPorts): string {
  const gw = `http://localhost:${p.publicPort}`;
  return `
  Portcullis is guarding the demo bookstore.
    gateway   ${gw}        (upstream http://127.0.0.1:${p.upstreamPort}, admin http://127.0.0.1:${p.adminPort})

  Try it:
    # a documented operation passes (and the upstream's Server / X-Powered-By headers are gone)
    curl -i ${gw}/v1/books
    # the upstream's undocumented admin endpoint is not reachable: 404 problem+json
    curl -i ${gw}/v1/admin/users
    # a method the document does not declare: 405 with Allow
    curl -i -X PUT ${gw}/v1/books/1
    # path traversal towards the admin endpoint: rejected, never forwarded
    curl -i --path-as-is ${gw}/v1/books/../admin/users
    # a body over the 64 KiB limit: 413
    head -c 100000 /dev/zero | curl -i -H 'content-type: application/json' --data-binary @- ${gw}/v1/books
    # Prometheus metrics on the admin listener
    curl -s http://127.0.0.1:${p.adminPort}/metrics | grep '^portcullis_'

  Ctrl-C stops both.
`;
}

async function main(): Promise<number> {
  const root = findPackageRoot(import.meta.url);
  const config = join(root, 'examples', 'quickstart', 'portcullis.yaml');
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(cli)) {
    process.stderr.write(`The gateway is not built (${relative(process.cwd(), cli)} is missing): run \`npm run build\` first.\n`);
    return 1;
  }
  const ports = readPorts(config);

  let upstream: DemoUpstream;
  try {
    upstream = await startDemoUpstream(ports.upstreamPort);
  } catch (err) {
    process.stderr.write(`Could not start the demo upstream on 127.0.0.1:${ports.upstreamPort}: ${(err as Error).message}\n`);
    return 1;
  }

  const child = spawn(process.execPath, [cli, 'start', '-c', config], { stdio: 'inherit' });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + signalNumber(signal))));
    child.once('error', (err) => {
      process.stderr.write(`Could not start the gateway: ${err.message}\n`);
      resolve(1);
    });
  });
  // In a terminal Ctrl-C reaches the child too; forwarding covers `kill <pid>` and supervisors.
  // A second signal means "now": the gateway's graceful drain is skipped.
  let signals = 0;
  const forward = (signal: NodeJS.Signals) => {
    signals += 1;
    if (child.exitCode === null && child.signalCode === null) child.kill(signals > 1 ? 'SIGKILL' : signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  if (await waitReady(ports.adminPort, child, 15_000)) {
    process.stdout.write(banner(ports));
  } else if (child.exitCode === null && child.signalCode === null) {
    process.stderr.write(`The gateway did not become ready on http://127.0.0.1:${ports.adminPort}/readyz within 15 s; stopping it.\n`);
    child.kill('SIGTERM');
  }

  const code = await exited;
  await upstream.close();
  return code;
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1;
}

// Only when executed, so the helpers above can be imported by tests without side effects.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`quickstart: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
