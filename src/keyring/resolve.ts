import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Keyring, type KeyInfo, type KeySource, type KeyVersionInfo, type ResolvedKey } from './keyring.js';
import { decodeKey, parseVersions, type ParsedVersion } from './material.js';
import type { KeyringConfig, KeyringKeyConfig } from './schema.js';
import type { VaultClient } from './vault.js';

/** Largest key file read. */
const MAX_KEY_FILE_BYTES = 65_536;

/** A key that could not be resolved, at its config path (below `keyring.keys.<name>`). */
export interface KeyringProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Where keys are read from. */
export interface KeyringSources {
  readonly env: NodeJS.ProcessEnv;
  readonly baseDir: string;
  /** The Vault client when `keyring.vault` is configured. */
  readonly vault: VaultClient | undefined;
}

/** The outcome of resolving a keyring section. */
export interface KeyringResolution {
  readonly keyring: Keyring;
  readonly problems: KeyringProblem[];
  /** Key files read, for the reload watcher. */
  readonly files: string[];
}

/** Splits `path#field` (field default `value`). */
export function splitVaultRef(ref: string): { path: string; field: string } {
  const hash = ref.indexOf('#');
  return hash === -1 ? { path: ref, field: 'value' } : { path: ref.slice(0, hash), field: ref.slice(hash + 1) };
}

interface Loaded { readonly source: KeySource; readonly location: string; readonly versions: (ParsedVersion & { createdAt?: string })[] }

async function loadVault(cfg: KeyringKeyConfig & { vault: string }, vault: VaultClient): Promise<Loaded> {
  const { path, field } = splitVaultRef(cfg.vault);
  const pick = (data: Readonly<Record<string, unknown>>, version: number): Uint8Array => {
    const value = data[field];
    if (typeof value !== 'string') throw new Error(`vault ${path} version ${version} has no string field "${field}"`);
    try {
      return decodeKey(value, cfg.encoding);
    } catch (err) {
      throw new Error(`vault ${path} version ${version} field "${field}" ${(err as Error).message}`);
    }
  };
  const latest = await vault.read(path);
  if (latest === undefined) throw new Error(`vault ${path}: no such secret`);
  const versions: Loaded['versions'] = [{ version: latest.version, key: pick(latest.data, latest.version), ...(latest.createdTime === undefined ? {} : { createdAt: latest.createdTime }) }];
  for (let v = latest.version - 1; v >= 1 && versions.length < cfg.versions; v -= 1) {
    const older = await vault.read(path, v);
    // Deleted or destroyed versions are gone from the overlap: skip them.
    if (older === undefined) continue;
    versions.push({ version: v, key: pick(older.data, v), ...(older.createdTime === undefined ? {} : { createdAt: older.createdTime }) });
  }
  return { source: 'vault', location: `${path}#${field}`, versions };
}

async function loadFile(file: string, cfg: KeyringKeyConfig, baseDir: string): Promise<Loaded & { full: string }> {
  const full = resolvePath(baseDir, file);
  let text: string;
  let mtime: Date;
  try {
    const info = await stat(full);
    if (!info.isFile()) throw new Error(`${file}: not a regular file`);
    if (info.size > MAX_KEY_FILE_BYTES) throw new Error(`${file}: larger than ${MAX_KEY_FILE_BYTES} bytes`);
    text = await readFile(full, 'utf8');
    mtime = info.mtime;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`${file}: file not found`);
    if (code !== undefined) throw new Error(`${file}: cannot be read (${code})`);
    throw err;
  }
  const parsed = parseVersions(cfg.encoding === 'utf8' ? text.replace(/(\r?\n)+$/, '') : text, cfg.encoding, 1).map((v, i) => (i === 0 ? { ...v, createdAt: mtime.toISOString() } : v));
  return { source: 'file', location: file, versions: parsed, full };
}

function toResolved(name: string, cfg: KeyringKeyConfig, loaded: Loaded): ResolvedKey {
  const kept = loaded.versions.slice(0, cfg.versions);
  const material = new Map<string, Uint8Array>();
  const infos: KeyVersionInfo[] = [];
  for (const v of kept) {
    if (cfg.length !== undefined && v.key.length !== cfg.length) {
      throw new Error(`version ${v.version} is ${v.key.length} bytes; length requires ${cfg.length}`);
    }
    const kid = `${name}.v${v.version}`;
    material.set(kid, v.key);
    infos.push({ kid, version: v.version, createdAt: v.createdAt });
  }
  const info: KeyInfo = { name, source: loaded.source, location: loaded.location, current: infos[0]!, versions: infos, rotationDays: cfg.rotationDays };
  return { info, material };
}

/**
 * Reads every key of a keyring section from its source. Problems are collected (one per key),
 * each at the key's config path, and never quote a value.
 *
 * @example
 * const { keyring, problems } = await resolveKeyring(config.keyring, { env: process.env, baseDir, vault });
 */
export async function resolveKeyring(cfg: KeyringConfig | undefined, sources: KeyringSources): Promise<KeyringResolution> {
  const problems: KeyringProblem[] = [];
  const files: string[] = [];
  const resolved: ResolvedKey[] = [];
  for (const [name, key] of Object.entries(cfg?.keys ?? {})) {
    const at = ['keyring', 'keys', name];
    const chosen = (['vault', 'env', 'file'] as const).filter((s) => key[s] !== undefined);
    if (chosen.length !== 1) {
      problems.push({ path: at, message: chosen.length === 0 ? 'needs one source: vault, env or file' : `has ${chosen.join(' and ')}: give exactly one source` });
      continue;
    }
    const source = chosen[0]!;
    try {
      let loaded: Loaded;
      if (key.vault !== undefined) {
        if (sources.vault === undefined) throw new Error('needs keyring.vault (address and token) to read from Vault');
        loaded = await loadVault({ ...key, vault: key.vault }, sources.vault);
      } else if (key.env !== undefined) {
        const text = sources.env[key.env];
        if (text === undefined || text === '') throw new Error(`environment variable ${key.env} is not set`);
        loaded = { source: 'env', location: key.env, versions: parseVersions(text, key.encoding, 1) };
      } else {
        const f = await loadFile(key.file!, key, sources.baseDir);
        files.push(f.full);
        loaded = f;
      }
      resolved.push(toResolved(name, key, loaded));
    } catch (err) {
      problems.push({ path: [...at, source], message: (err as Error).message });
    }
  }
  return { keyring: new Keyring(resolved), problems, files };
}
