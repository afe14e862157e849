import { parseDuration, parseOptions, type CliIo } from './keys.js';

const USAGE = `Usage: portcullis revoke jti|subject|api-key VALUE [--issuer ISS] [--ttl 30d] [--admin URL]
       portcullis revoke lift jti|subject|api-key VALUE [--issuer ISS] [--admin URL]
       portcullis revoke list [--admin URL] [--json]
Talks to the admin API of a running gateway (default --admin http://127.0.0.1:9901), which
writes to the gateway's store: every instance sharing that store (Redis) sees the change.
The admin token is read from $PORTCULLIS_ADMIN_TOKEN (--token-env NAME for another variable;
--token T works too but shows in the process list). --issuer goes with subject only.
`;

/** `portcullis revoke --help`: usage, options and an example. */
export const help = `${USAGE}
Example:
  PORTCULLIS_ADMIN_TOKEN=... portcullis revoke jti 2f1c9a --ttl 1h
`;

const defaultIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, now: Date.now };
const KINDS = new Set(['jti', 'subject', 'api-key']);

interface Listed { kind: string; value: string; issuer?: string; revokedAt: string; expiresAt?: string }

/**
 * `portcullis revoke ...`: revoke a token (`jti`), a subject or an API key id, lift a
 * revocation, or list them, through the admin API of a running gateway.
 *
 * @example
 * await revokeCommand(['jti', 'a1b2c3', '--ttl', '1h', '--admin', 'http://127.0.0.1:9901']);
 */
export async function revokeCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const positional: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') continue;
    if (!a.startsWith('--')) positional.push(a);
    else if (a.includes('=') || i + 1 >= argv.length) flags.push(a);
    else flags.push(a, argv[++i]!);
  }
  let opts: Map<string, string>;
  try {
    opts = parseOptions(flags);
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const token = opts.get('token') ?? io.env[opts.get('token-env') ?? 'PORTCULLIS_ADMIN_TOKEN'];
  const admin = (opts.get('admin') ?? 'http://127.0.0.1:9901').replace(/\/+$/, '');
  if (token === undefined || token === '') {
    io.err(`portcullis revoke: no admin token (set PORTCULLIS_ADMIN_TOKEN, or --token-env NAME)\n`);
    return 1;
  }
  const [first, ...more] = positional;
  const lift = first === 'lift';
  const [kind, value, extra] = lift ? more : positional;
  if (first === 'list' && positional.length === 1) return list(admin, token, argv.includes('--json'), io);
  if (kind === undefined || !KINDS.has(kind) || value === undefined || extra !== undefined || (kind === 'subject') !== opts.has('issuer') || (lift && opts.has('ttl'))) {
    io.err(USAGE);
    return 1;
  }
  let ttlSeconds: number | undefined;
  try {
    const ttl = opts.get('ttl');
    ttlSeconds = ttl === undefined ? undefined : parseDuration(ttl) / 1000;
  } catch (err) {
    io.err(`portcullis revoke: ${(err as Error).message}\n`);
    return 1;
  }
  const body = { kind, value, ...(opts.has('issuer') ? { issuer: opts.get('issuer') } : {}), ...(ttlSeconds === undefined ? {} : { ttlSeconds }) };
  const r = await call(admin, token, lift ? 'DELETE' : 'POST', body, io);
  if (r === undefined) return 1;
  const shown = `${kind} ${value}${kind === 'subject' ? ` (issuer ${opts.get('issuer')})` : ''}`;
  if (lift) io.err(r.wasRevoked === true ? `lifted the revocation of ${shown}\n` : `${shown} was not revoked\n`);
  else io.err(`revoked ${shown}${typeof r.expiresAt === 'string' ? ` until ${r.expiresAt}` : ' until lifted'}\n`);
  return 0;
}

async function list(admin: string, token: string, json: boolean, io: CliIo): Promise<number> {
  const r = await call(admin, token, 'GET', undefined, io);
  if (r === undefined) return 1;
  const entries = (r.revocations ?? []) as Listed[];
  if (json) {
    io.out(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  for (const e of entries) io.out(`${e.kind}\t${e.value}\t${e.issuer ?? '-'}\t${e.revokedAt}\t${e.expiresAt ?? 'until lifted'}\n`);
  io.err(`${entries.length} revocation(s)\n`);
  return 0;
}

/** One admin API call; prints the problem (status and code) and returns undefined on failure. */
async function call(admin: string, token: string, method: string, body: unknown, io: CliIo): Promise<Record<string, unknown> | undefined> {
  let res: Response;
  try {
    res = await fetch(`${admin}/admin/revocations`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    io.err(`portcullis revoke: cannot reach the admin API at ${admin} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})\n`);
    return undefined;
  }
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: reported by status below.
  }
  if (!res.ok) {
    io.err(`portcullis revoke: the admin API answered ${res.status}${typeof parsed.code === 'string' ? ` ${parsed.code}` : ''}${typeof parsed.detail === 'string' ? `: ${parsed.detail}` : ''}\n`);
    return undefined;
  }
  return parsed;
}
