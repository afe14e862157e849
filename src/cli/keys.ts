import { generateApiKey, hashSecret, readKeysFile, writeKeysFile, type KeyEntry } from '../stages/authn/providers/api-key/index.js';
import { keyringList, keyringRotate } from './keyring.js';

const USAGE = `Usage: portcullis keys <create|list|revoke|rotate> --file keys.yaml [options]
       portcullis keys <list|rotate> --keyring portcullis.yaml [options]

API keys (--file keys.yaml):
  create --client ID [--scopes a,b] [--roles r1,r2] [--expires 30d] [--tier T] [--cidrs 10.0.0.0/8,...]
  list   [--client ID]
  revoke --id KEYID
  rotate --client ID [--overlap 7d] [--expires 30d]   new key; the client's active keys expire after the overlap
  --pepper-env NAME   environment variable holding the pepper (default PORTCULLIS_API_KEY_PEPPER)
The new key is printed once on stdout and never stored: only its HMAC goes into the file.

Keyring keys (--keyring CONFIG, the keyring.keys of a gateway config):
  list   [--format json]   name, current kid, source, age, next rotation, kids still usable
  rotate --key NAME        write a new random version to its source (Vault KV v2 or key file);
                           a reload makes it current, older versions keep decrypting
Key bytes are never printed.
`;

/** `portcullis keys --help`: usage, options and an example. */
export const help = `${USAGE}
Example:
  portcullis keys create --file keys.yaml --client billing --scopes orders:read --expires 90d
  portcullis keys rotate --keyring portcullis.yaml --key customer-pii
`;

/** Where output goes; injectable for tests. */
export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
}

const defaultIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, now: Date.now };

/**
 * `portcullis keys …`: manages an API keys file. Returns the exit code.
 *
 * @example
 * await keysCommand(['create', '--file', 'keys.yaml', '--client', 'billing', '--scopes', 'read']);
 */
export async function keysCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [sub, ...rest] = argv;
  let opts: Map<string, string>;
  try {
    opts = parseOptions(rest);
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const keyring = opts.get('keyring');
  if (keyring !== undefined) {
    if (opts.has('file')) { io.err(`give --file (API keys) or --keyring (keyring keys), not both\n\n${USAGE}`); return 1; }
    try {
      if (sub === 'list') return await keyringList(keyring, opts, io);
      if (sub === 'rotate') return await keyringRotate(keyring, opts, io);
      io.err(`keys ${sub ?? '(none)'} does not apply to --keyring: use list or rotate\n\n${USAGE}`);
      return 1;
    } catch (err) {
      io.err(`portcullis keys: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  const file = opts.get('file');
  if (sub === undefined || file === undefined) {
    io.err(USAGE);
    return 1;
  }
  try {
    switch (sub) {
      case 'create': return create(file, opts, io);
      case 'rotate': return rotate(file, opts, io);
      case 'list': return list(file, opts, io);
      case 'revoke': return revoke(file, opts, io);
      default:
        io.err(`unknown keys command "${sub}"\n\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    io.err(`portcullis keys: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function pepperOf(opts: Map<string, string>, io: CliIo): string {
  const name = opts.get('pepper-env') ?? 'PORTCULLIS_API_KEY_PEPPER';
  const pepper = io.env[name];
  if (pepper === undefined || pepper.length < 32) throw new Error(`environment variable ${name} must hold the pepper (at least 32 characters)`);
  return pepper;
}

function newEntry(opts: Map<string, string>, pepper: string, io: CliIo, base?: KeyEntry): { entry: KeyEntry; key: string } {
  const client = opts.get('client');
  if (client === undefined || client === '') throw new Error('--client is required');
  const g = generateApiKey();
  const entry: KeyEntry = {
    id: g.id,
    hash: hashSecret(pepper, g.secret),
    clientId: client,
    scopes: list0(opts.get('scopes')) ?? base?.scopes ?? [],
    roles: list0(opts.get('roles')) ?? base?.roles ?? [],
    createdAt: new Date(io.now()).toISOString(),
    revoked: false,
  };
  const expires = opts.get('expires');
  if (expires !== undefined) entry.expiresAt = new Date(io.now() + parseDuration(expires)).toISOString();
  const tier = opts.get('tier') ?? base?.tier;
  if (tier !== undefined) entry.tier = tier;
  const cidrs = list0(opts.get('cidrs')) ?? base?.allowedCidrs;
  if (cidrs !== undefined) entry.allowedCidrs = cidrs;
  return { entry, key: g.key };
}

function create(file: string, opts: Map<string, string>, io: CliIo): number {
  const pepper = pepperOf(opts, io);
  const data = readKeysFile(file, true);
  const { entry, key } = newEntry(opts, pepper, io);
  writeKeysFile(file, { keys: [...data.keys, entry] });
  io.err(`created key ${entry.id} for ${entry.clientId}; store it now, it is not shown again\n`);
  io.out(`${key}\n`);
  return 0;
}

function rotate(file: string, opts: Map<string, string>, io: CliIo): number {
  const pepper = pepperOf(opts, io);
  const client = opts.get('client');
  const data = readKeysFile(file);
  const now = io.now();
  const active = data.keys.filter((k) => k.clientId === client && !k.revoked && (k.expiresAt === undefined || Date.parse(k.expiresAt) > now));
  if (active.length === 0) throw new Error(`client ${client ?? '(none)'} has no active key to rotate`);
  // The newest key's grants carry over, so a rotation never widens or narrows access by accident.
  const newest = active.reduce((a, b) => ((a.createdAt ?? '') >= (b.createdAt ?? '') ? a : b));
  const overlapEnd = now + parseDuration(opts.get('overlap') ?? '7d');
  const keys = data.keys.map((k) => {
    if (!active.includes(k)) return k;
    const current = k.expiresAt === undefined ? Infinity : Date.parse(k.expiresAt);
    return current > overlapEnd ? { ...k, expiresAt: new Date(overlapEnd).toISOString() } : k;
  });
  const { entry, key } = newEntry(opts, pepper, io, newest);
  writeKeysFile(file, { keys: [...keys, entry] });
  io.err(`rotated ${client ?? ''}: new key ${entry.id}; previous keys expire by ${new Date(overlapEnd).toISOString()}\n`);
  io.out(`${key}\n`);
  return 0;
}

function list(file: string, opts: Map<string, string>, io: CliIo): number {
  const client = opts.get('client');
  const now = io.now();
  for (const k of readKeysFile(file).keys) {
    if (client !== undefined && k.clientId !== client) continue;
    const state = k.revoked ? 'revoked' : k.expiresAt !== undefined && Date.parse(k.expiresAt) <= now ? 'expired' : 'active';
    io.out(`${k.id}\t${k.clientId}\t${state}\tscopes=${k.scopes.join(',')}\texpires=${k.expiresAt ?? 'never'}${k.tier !== undefined ? `\ttier=${k.tier}` : ''}\n`);
  }
  return 0;
}

function revoke(file: string, opts: Map<string, string>, io: CliIo): number {
  const id = opts.get('id');
  const data = readKeysFile(file);
  if (id === undefined || !data.keys.some((k) => k.id === id)) throw new Error(`no key with id ${id ?? '(none)'}`);
  writeKeysFile(file, { keys: data.keys.map((k) => (k.id === id ? { ...k, revoked: true } : k)) });
  io.err(`revoked key ${id}\n`);
  return 0;
}

/** `--name value` / `--name=value` pairs; every option here takes a value. */
export function parseOptions(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    if (eq !== -1) out.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      out.set(a.slice(2), v);
    }
  }
  return out;
}

/** `30d`, `12h`, `15m`, `90s` → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+)([smhd])$/.exec(s);
  if (m === null) throw new Error(`bad duration "${s}" (use e.g. 30d, 12h, 15m)`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function list0(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
