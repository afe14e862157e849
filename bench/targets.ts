import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TargetId } from './args.js';
import { freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';

/** The path every target is asked for: routed by target (d)'s document, passed through by the others. */
export const BENCH_PATH = '/v1/items/42';

/** How to start one benchmark target. */
export interface TargetDef {
  readonly id: TargetId;
  readonly label: string;
  start(): Promise<TargetProcess>;
}

/** Where the bench finds what it starts. */
export interface TargetEnv {
  readonly root: string;
  /** Folder for generated gateway configs. */
  readonly tmp: string;
  /** URL of a helper script beside this file, with the running file's extension. */
  readonly script: (name: string) => URL;
  readonly upstreamPort: number;
  readonly accessLog: boolean;
}

/**
 * The four targets: (a) the fixed upstream directly, (b) the minimal undici proxy,
 * (c) Portcullis with a pass-through API, (d) Portcullis routing by an OpenAPI document.
 * Each runs in its own process.
 *
 * @example
 * const defs = targetDefs({ root, tmp, script, upstreamPort: 40123, accessLog: false });
 */
export function targetDefs(env: TargetEnv): Record<TargetId, TargetDef> {
  const upstream = `http://127.0.0.1:${env.upstreamPort}`;
  return {
    a: {
      id: 'a',
      label: '(a) direct to upstream',
      // The upstream is shared by every target; this handle leaves stopping it to the owner.
      start: async () => ({ pid: 0, port: env.upstreamPort, stop: async () => {} }),
    },
    b: {
      id: 'b',
      label: '(b) minimal undici proxy',
      start: () => startScript(env.script('minimal-proxy'), { UPSTREAM: upstream, PORT: '0' }),
    },
    c: {
      id: 'c',
      label: '(c) Portcullis pass-through',
      start: () => startGateway(env, 'pass-through', { prefixes: ['/'] }),
    },
    d: {
      id: 'd',
      label: '(d) Portcullis + OpenAPI routing',
      start: () => startGateway(env, 'openapi', { openapi: join(env.root, 'bench', 'fixtures', 'bench-openapi.yaml') }),
    },
  };
}

async function startGateway(env: TargetEnv, name: string, routing: Record<string, unknown>): Promise<TargetProcess> {
  const cli = join(env.root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first`);
  const port = await freePort();
  const adminPort = await freePort();
  const config = {
    server: { host: '127.0.0.1', port },
    admin: { host: '127.0.0.1', port: adminPort },
    logging: { level: 'warn', accessLog: env.accessLog },
    watch: false,
    apis: [{ name: `bench-${name}`, upstream: `http://127.0.0.1:${env.upstreamPort}`, ...routing }],
  };
  const file = join(env.tmp, `${name}.yaml`);
  await writeFile(file, stringify(config));
  return startGatewayProcess(cli, file, port, adminPort);
}
