import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { loadConfig } from '../config/load.js';
import { formatVersions, parseVersions, splitVaultRef, VaultClient, type KeyInfo, type KeyringKeyConfig } from '../keyring/index.js';
import type { CliIo } from './keys.js';

const DAY = 86_400_000;

/** `3d`, `5h`, `-` (unknown): how old a version is. */
function age(createdAt: string | undefined, now: number): string {
  if (createdAt === undefined) return '-';
  const ms = now - Date.parse(createdAt);
  if (!Number.isFinite(ms)) return '-';
  return ms >= DAY ? `${Math.floor(ms / DAY)}d` : `${Math.max(0, Math.floor(ms / 3_600_000))}h`;
}

/** The next rotation date, `due` once past it, `-` without rotationDays or a creation time. */
function nextRotation(k: KeyInfo, now: number): string {
  if (k.rotationDays === undefined || k.current.createdAt === undefined) return '-';
  const at = Date.parse(k.current.createdAt) + k.rotationDays * DAY;
  if (!Number.isFinite(at)) return '-';
  return at <= now ? 'due' : new Date(at).toISOString().slice(0, 10);
}

/**
 * `portcullis keys list --keyring CONFIG`: every keyring key with its current kid, source, age,
 * next rotation and the kids still usable. Never prints key bytes.
 */
export async function keyringList(configFile: string, opts: Map<string, string>, io: CliIo): Promise<number> {
  const loaded = await loadConfig(configFile, io.env);
  const now = io.now();
  const keys = loaded.keyring.list();
  if (opts.get('format') === 'json') {
    io.out(`${JSON.stringify(keys.map((k) => ({ ...k, age: age(k.current.createdAt, now), nextRotation: nextRotation(k, now) })), null, 2)}\n`);
    return 0;
  }
  io.out('NAME\tCURRENT\tSOURCE\tAGE\tNEXT ROTATION\tUSABLE KIDS\n');
  for (const k of keys) {
    io.out(`${k.name}\t${k.current.kid}\t${k.source}:${k.location}\t${age(k.current.createdAt, now)}\t${nextRotation(k, now)}\t${k.versions.map((v) => v.kid).join(',')}\n`);
  }
  if (keys.length === 0) io.err(`${configFile} has no keyring.keys\n`);
  return 0;
}

function newKey(cfg: KeyringKeyConfig): string {
  const bytes = cfg.length ?? 32;
  // utf8 keys are text: random base64url characters, one byte each.
  if (cfg.encoding === 'utf8') return randomBytes(bytes).toString('base64url').slice(0, bytes);
  return randomBytes(bytes).toString(cfg.encoding);
}

/**
 * `portcullis keys rotate --keyring CONFIG --key NAME`: writes a new random version of a keyring
 * key to its source (a new Vault KV v2 version, or a new line of the key file); the gateway
 * picks it up on reload and keeps the older versions for decryption within `versions`.
 */
export async function keyringRotate(configFile: string, opts: Map<string, string>, io: CliIo): Promise<number> {
  const name = opts.get('key');
  if (name === undefined) throw new Error('--key NAME is required with --keyring');
  const loaded = await loadConfig(configFile, io.env);
  const cfg = loaded.config.keyring?.keys[name];
  if (cfg === undefined) throw new Error(`${configFile} has no keyring key "${name}" (keys: ${Object.keys(loaded.config.keyring?.keys ?? {}).join(', ') || 'none'})`);
  const before = loaded.keyring.list().find((k) => k.name === name);
  if (cfg.env !== undefined) {
    throw new Error(`key "${name}" comes from the environment variable ${cfg.env}: rotate it where the variable is set ("<version>:<key>" entries keep older versions usable)`);
  }
  let kid: string;
  if (cfg.vault !== undefined) {
    const vaultCfg = loaded.config.keyring?.vault;
    if (vaultCfg === undefined) throw new Error('keyring.vault is not configured');
    const vault = new VaultClient(vaultCfg);
    const { path, field } = splitVaultRef(cfg.vault);
    const existing = await vault.read(path);
    // Other fields of the secret are kept: a KV v2 write replaces the whole secret.
    const data: Record<string, unknown> = { ...existing?.data, [field]: newKey(cfg) };
    kid = `${name}.v${await vault.write(path, data)}`;
  } else {
    const file = resolvePath(loaded.baseDir, cfg.file!);
    if (cfg.encoding === 'utf8') throw new Error(`key "${name}" has encoding utf8: a key file holds one utf8 key, so rotation cannot keep the old one; use base64, base64url or hex`);
    const versions = parseVersions(await readFile(file, 'utf8'), cfg.encoding, 1);
    const next = (versions[0]?.version ?? 0) + 1;
    const kept = [{ version: next, key: new Uint8Array(Buffer.from(newKey(cfg), cfg.encoding)) }, ...versions].slice(0, cfg.versions);
    // Written beside and renamed over: a reload never reads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, formatVersions(kept, cfg.encoding), { mode: 0o600 });
    await rename(tmp, file);
    kid = `${name}.v${next}`;
  }
  const dropped = before === undefined ? [] : before.versions.slice(Math.max(0, cfg.versions - 1)).map((v) => v.kid);
  io.out(`${name}: new current kid ${kid}\n`);
  io.err(`rotated ${name} (was ${before?.current.kid ?? '-'}); reload the gateway (SIGHUP or the admin API) to start using it${dropped.length > 0 ? `; no longer usable after the reload: ${dropped.join(', ')}` : ''}\n`);
  return 0;
}
