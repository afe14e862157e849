import type { CliIo } from './keys.js';
import { parseOptions } from './keys.js';

export const INVENTORY_USAGE = `Usage: portcullis inventory [--admin URL] [--json | --openapi]
Shows what traffic reached the APIs of a running gateway (every instance sharing its store):
documented operations in use, documented operations nobody called (zombies), and endpoints no
document describes (shadow APIs), with a draft OpenAPI fragment for them (--openapi).
Reads the admin API (default --admin http://127.0.0.1:9901) with the token in
$PORTCULLIS_ADMIN_TOKEN (--token-env NAME for another variable).

Example:
  PORTCULLIS_ADMIN_TOKEN=... portcullis inventory --openapi > shadow.yaml
`;

const defaultIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, now: Date.now };

interface Entry { api: string; method: string; template: string; operation?: string; count: number; lastSeen: number; statuses: Record<string, number>; clients: string[]; query: string[]; body?: string[] }
interface Report { documented: Entry[]; zombies: { api: string; operation: string; method: string; template: string }[]; shadow: Entry[]; dropped: number }

/**
 * `portcullis inventory`: the endpoint inventory of a running gateway, as text, JSON or a draft
 * OpenAPI fragment. Exit 0, or 1 when the admin API cannot be read.
 *
 * @example
 * await inventoryCommand(['--json', '--admin', 'http://127.0.0.1:9901']);
 */
export async function inventoryCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const json = argv.includes('--json');
  const openapi = argv.includes('--openapi');
  let opts: Map<string, string>;
  try {
    opts = parseOptions(argv.filter((a) => a !== '--json' && a !== '--openapi'));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${INVENTORY_USAGE}`);
    return 1;
  }
  if (json && openapi) { io.err(`--json and --openapi exclude each other\n\n${INVENTORY_USAGE}`); return 1; }
  const token = opts.get('token') ?? io.env[opts.get('token-env') ?? 'PORTCULLIS_ADMIN_TOKEN'];
  if (token === undefined || token === '') { io.err('portcullis inventory: no admin token (set PORTCULLIS_ADMIN_TOKEN, or --token-env NAME)\n'); return 1; }
  const admin = (opts.get('admin') ?? 'http://127.0.0.1:9901').replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${admin}/admin/inventory${openapi ? '?format=openapi' : ''}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    io.err(`portcullis inventory: cannot reach ${admin}: ${(err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (res.status !== 200) { io.err(`portcullis inventory: ${admin} answered ${res.status}: ${text.slice(0, 300)}\n`); return 1; }
  if (json || openapi) { io.out(text.endsWith('\n') ? text : `${text}\n`); return 0; }
  io.out(renderText(JSON.parse(text) as Report));
  return 0;
}

function renderText(r: Report): string {
  const line = (e: Entry) => `  ${e.api.padEnd(16)} ${e.method.padEnd(7)} ${e.template.padEnd(40)} ${String(e.count).padStart(8)}  ${Object.entries(e.statuses).map(([k, v]) => `${k}:${v}`).join(' ')}${e.query.length > 0 ? `  query: ${e.query.join(',')}` : ''}${(e.body ?? []).length > 0 ? `  body: ${e.body!.join(',')}` : ''}`;
  const out = [
    `Documented and used (${r.documented.length})`, ...r.documented.map(line), '',
    `Documented, never called: zombies (${r.zombies.length})`, ...r.zombies.map((z) => `  ${z.api.padEnd(16)} ${z.method.padEnd(7)} ${z.template.padEnd(40)} ${z.operation}`), '',
    `Not documented: shadow endpoints (${r.shadow.length})`, ...r.shadow.map(line),
  ];
  if (r.dropped > 0) out.push('', `${r.dropped} request(s) to further endpoints were counted but not kept (inventory.maxEndpoints)`);
  return `${out.join('\n')}\n`;
}
