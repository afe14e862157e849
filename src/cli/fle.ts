import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { compilePointer, decryptField, encryptField, isDirJwe, visitPointer } from '../stages/field-encryption/index.js';
import { parseOptions } from './keys.js';

const USAGE = `Usage: portcullis fle reencrypt -c portcullis.yaml --key NAME [--fields /a,/b/c] [--in FILE] [--out FILE]
  Reads JSON lines (stdin, or --in) and writes them (stdout, or --out) with the named fields
  re-encrypted under the current version of keyring key NAME:
  - a field encrypted under an older kid is decrypted and encrypted again;
  - a field already under the current kid is left as it is;
  - a field in clear (stored before encryption was turned on) is encrypted.
  --fields   JSON pointers (a * segment matches every item); default: the fields of every
             field-encryption stage of the config that uses --key
  A line that is not JSON, or a field that does not decrypt, stops the run with exit 1 and its line number.
`;

/** `portcullis fle --help`. */
export const help = `${USAGE}
Example:
  portcullis fle reencrypt -c portcullis.yaml --key customer-pii --in customers.jsonl --out customers.v2.jsonl
`;

/** Streams of a run; injectable for tests. */
export interface FleIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: FleIo = { stdin: process.stdin, stdout: process.stdout, err: (s) => process.stderr.write(s), env: process.env };

/** Every field pointer configured for `key` in field-encryption stages (API level and operations). */
export function configuredFields(config: Config, key: string): string[] {
  const out = new Set<string>();
  const take = (stages: Record<string, unknown> | undefined) => {
    const fe = stages?.['field-encryption'] as { key?: unknown; fields?: unknown } | undefined;
    if (fe?.key === key && Array.isArray(fe.fields)) for (const f of fe.fields) if (typeof f === 'string') out.add(f);
  };
  for (const api of config.apis) {
    take(api.stages);
    for (const op of Object.values(api.operations ?? {})) take(op.stages);
  }
  return [...out];
}

/**
 * `portcullis fle reencrypt`: re-encrypts stored records (JSON lines) under the current key id,
 * for data at rest after a rotation. Returns the exit code.
 *
 * @example
 * await fleCommand(['reencrypt', '-c', 'portcullis.yaml', '--key', 'customer-pii', '--in', 'dump.jsonl']);
 */
export async function fleCommand(argv: readonly string[], io: FleIo = defaultIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'reencrypt') {
    io.err(sub === undefined ? USAGE : `unknown fle command "${sub}"\n\n${USAGE}`);
    return 1;
  }
  let opts: Map<string, string>;
  try {
    opts = parseOptions(rest.map((a) => (a === '-c' ? '--config' : a)));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const key = opts.get('key');
  if (key === undefined) { io.err(`--key NAME is required\n\n${USAGE}`); return 1; }
  try {
    return await reencrypt(opts.get('config') ?? 'portcullis.yaml', key, opts, io);
  } catch (err) {
    io.err(`portcullis fle: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function reencrypt(configFile: string, key: string, opts: Map<string, string>, io: FleIo): Promise<number> {
  const loaded = await loadConfig(configFile, io.env);
  const keyring = loaded.keyring;
  if (!keyring.has(key)) throw new Error(`${configFile} has no keyring key "${key}"`);
  const current = keyring.current(key).kid;
  const listed = opts.get('fields');
  const fields = listed !== undefined ? listed.split(',').map((f) => f.trim()).filter((f) => f !== '') : configuredFields(loaded.config, key);
  if (fields.length === 0) throw new Error(`no fields: no field-encryption stage uses key "${key}"; give --fields`);
  const pointers = fields.map(compilePointer);
  const input = opts.has('in') ? createReadStream(opts.get('in')!) : io.stdin;
  const output = opts.has('out') ? createWriteStream(opts.get('out')!, { mode: 0o600 }) : io.stdout;
  const stats = { lines: 0, reencrypted: 0, current: 0, encrypted: 0 };
  let lineNo = 0;
  let failure: string | undefined;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo += 1;
    if (line.trim() === '') continue;
    let record: unknown;
    try { record = JSON.parse(line); } catch { failure = `line ${lineNo}: not JSON`; break; }
    const slots: { container: Record<string | number, unknown>; key: string | number; value: unknown; field: string }[] = [];
    for (const [i, p] of pointers.entries()) visitPointer(record, p, (container, k, value) => slots.push({ container: container as Record<string | number, unknown>, key: k, value, field: fields[i]! }));
    for (const s of slots) {
      if (!isDirJwe(s.value)) {
        s.container[s.key] = await encryptField(keyring, key, s.value);
        stats.encrypted += 1;
        continue;
      }
      const r = await decryptField(keyring, key, s.value);
      if (!r.ok) { failure = `line ${lineNo} ${s.field}: does not decrypt (${r.reason})`; break; }
      if (r.kid === current) { stats.current += 1; continue; }
      s.container[s.key] = await encryptField(keyring, key, r.value);
      stats.reencrypted += 1;
    }
    if (failure !== undefined) break;
    stats.lines += 1;
    if (!output.write(`${JSON.stringify(record)}\n`)) await new Promise<void>((r) => output.once('drain', () => r()));
  }
  if (output !== io.stdout) await new Promise<void>((r) => output.end(r));
  io.err(`${stats.lines} records: ${stats.reencrypted} fields re-encrypted under ${current}, ${stats.current} already current, ${stats.encrypted} encrypted from clear\n`);
  if (failure !== undefined) { io.err(`portcullis fle: ${failure}\n`); return 1; }
  return 0;
}
