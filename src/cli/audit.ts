import { existsSync } from 'node:fs';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { auditLocation, createAuditStore, openSigner } from '../observability/audit/open.js';
import type { StoredAuditRecord } from '../observability/audit/record.js';
import type { AuditQuery, AuditStore } from '../observability/audit/store.js';
import { verifyStore } from '../observability/audit/verify.js';
import { describeLoadError } from './validate.js';

const SEARCH_OPTIONS: Record<string, keyof AuditQuery> = {
  '--since': 'since', '--until': 'until', '--principal': 'principal', '--client': 'client', '--kind': 'kind',
  '--api': 'api', '--operation': 'operationId', '--request-id': 'requestId', '--text': 'text', '--instance': 'instance', '--limit': 'limit',
};

const USAGE = `Usage:
  portcullis audit verify -c FILE [--json]
  portcullis audit search -c FILE [--since T] [--until T] [--principal P] [--client IP] [--kind K]
                          [--api A] [--operation OP] [--request-id ID] [--text WORDS] [--instance I] [--limit N] [--json]
`;

/** `portcullis audit --help`: usage, options and an example. */
export const help = `${USAGE}verify checks the hash chain and the signed checkpoints (exit 1 when tampered); search filters
records (T: ISO 8601 time or a duration ago such as 24h).

Example:
  portcullis audit search -c portcullis.yaml --since 24h --kind authz.denied --limit 20
`;

/** Parses `audit search` options; throws with a message on a bad one. */
export function parseSearchArgs(argv: readonly string[]): { query: AuditQuery; json: boolean } {
  const q: Record<string, unknown> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') { json = true; continue; }
    if (a === '-c' || a === '--config') { i++; continue; }
    if (a.startsWith('--config=') || a === 'audit' || a === 'search') continue;
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = SEARCH_OPTIONS[name];
    if (key === undefined) throw new Error(`unknown option ${a}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (key === 'since' || key === 'until') {
      const t = new Date(value);
      if (Number.isNaN(t.getTime())) throw new Error(`${name}: not a date/time: ${value}`);
      q[key] = t.toISOString();
    } else if (key === 'limit') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error('--limit must be a positive integer');
      q[key] = n;
    } else q[key] = value;
  }
  return { query: q as AuditQuery, json };
}

function table(rows: readonly StoredAuditRecord[]): string {
  const cols = ['time', 'instance', 'seq', 'kind', 'principal', 'client', 'api', 'operationId', 'decision', 'reason', 'requestId'] as const;
  // Stored values came from requests: strip control characters so a record cannot rewrite the terminal.
  const cell = (v: unknown) => (v === undefined ? '-' : String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));
  const data = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...data.map((d) => d[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(cols), ...data.map(line)].join('\n')}\n`;
}

async function withStore<T>(loaded: LoadedConfig, fn: (store: AuditStore) => Promise<T>): Promise<T> {
  const c = loaded.config.audit;
  const loc = auditLocation(c, loaded.baseDir);
  // Opening a missing SQLite file would create an empty trail, which would then "verify".
  if (c.backend === 'sqlite' && !existsSync(loc.sqliteFile)) throw new Error(`no audit database at ${loc.sqliteFile}`);
  const store = createAuditStore(c, loc);
  try {
    await store.init();
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * `portcullis audit verify|search -c FILE ...`: checks every chain in the configured store,
 * or searches it. Exit 0 when the trail verifies (or the search ran), 1 otherwise.
 *
 * @example
 * await auditCommand('portcullis.yaml', ['audit', 'verify', '-c', 'portcullis.yaml']);
 */
export async function auditCommand(file: string, argv: readonly string[]): Promise<number> {
  const sub = argv[argv.indexOf('audit') + 1];
  if (sub !== 'verify' && sub !== 'search') {
    process.stderr.write(USAGE);
    return 1;
  }
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(file);
  } catch (e) {
    process.stderr.write(`${describeLoadError(e)}\n`);
    return 1;
  }
  try {
    return sub === 'verify' ? await verify(loaded, argv.includes('--json')) : await search(loaded, argv);
  } catch (e) {
    process.stderr.write(`portcullis audit ${sub}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

async function verify(loaded: LoadedConfig, json: boolean): Promise<number> {
  const c = loaded.config.audit;
  const signer = openSigner(c, auditLocation(c, loaded.baseDir), { create: false });
  const reports = await withStore(loaded, (store) => verifyStore(store, signer.publicKey));
  const ok = reports.every((r) => r.ok);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok, chains: reports })}\n`);
    return ok ? 0 : 1;
  }
  if (reports.length === 0) process.stdout.write('OK: the audit trail is empty\n');
  for (const r of reports) {
    const range = r.firstSeq === undefined ? 'no records' : `seq ${r.firstSeq}..${r.lastSeq}`;
    if (r.ok) process.stdout.write(`OK ${r.instance}: ${r.records} records (${range}), ${r.checkpoints} signed checkpoints\n`);
    else process.stdout.write(`FAIL ${r.instance}: ${r.problem!.kind} at seq ${r.problem!.seq}: ${r.problem!.message} (${r.records} records verified before it)\n`);
  }
  return ok ? 0 : 1;
}

async function search(loaded: LoadedConfig, argv: readonly string[]): Promise<number> {
  const { query, json } = parseSearchArgs(argv);
  const rows = await withStore(loaded, (store) => store.search(query));
  process.stdout.write(json ? `${JSON.stringify(rows)}\n` : table(rows));
  return 0;
}
