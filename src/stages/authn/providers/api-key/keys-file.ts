import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CidrMatcher } from '../../../../util/cidr.js';

/** One key as stored in the keys file. The secret itself is never stored, only its HMAC. */
export const KeyEntrySchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9]{8,64}$', description: 'Public key id (the part after pcl_).' }),
  hash: Type.String({ minLength: 43, description: 'base64url HMAC-SHA-256(pepper, secret).' }),
  clientId: Type.String({ minLength: 1, description: 'The client the key belongs to; becomes the principal id.' }),
  scopes: Type.Array(Type.String(), { default: [] }),
  roles: Type.Array(Type.String(), { default: [] }),
  expiresAt: Type.Optional(Type.String({ description: 'ISO 8601 instant after which the key is refused.' })),
  tier: Type.Optional(Type.String({ description: 'Rate-limit tier, passed on as a claim.' })),
  allowedCidrs: Type.Optional(Type.Array(Type.String(), { description: 'Client addresses the key may be used from.' })),
  createdAt: Type.Optional(Type.String()),
  revoked: Type.Boolean({ default: false }),
}, { additionalProperties: false });

export const KeysFileSchema = Type.Object({
  keys: Type.Array(KeyEntrySchema, { default: [] }),
}, { additionalProperties: false });

export type KeyEntry = Static<typeof KeyEntrySchema>;
export type KeysFile = Static<typeof KeysFileSchema>;

/** A key entry compiled for lookups: expiry as a number, CIDRs as a matcher. */
export interface CompiledKey {
  readonly entry: KeyEntry;
  readonly expiresAtMs: number | undefined;
  readonly cidrs: CidrMatcher | undefined;
  /**
   * The stored hash as its 32 digest bytes, compared with the presented secret's digest directly;
   * undefined when the text is not the canonical base64url of 32 bytes (such a key never matches,
   * as the text comparison it replaces never matched).
   */
  readonly hashBytes: Buffer | undefined;
}

/**
 * Parses keys-file text (YAML or JSON, JSON being YAML). Throws an Error naming the first
 * problem; defaults are applied.
 *
 * @example
 * const file = parseKeysFile('keys: []');
 */
export function parseKeysFile(text: string): KeysFile {
  const raw: unknown = text.trim() === '' ? { keys: [] } : parseYaml(text);
  const value = Value.Default(KeysFileSchema, structuredClone(raw ?? { keys: [] }));
  if (!Value.Check(KeysFileSchema, value)) {
    const first = Value.Errors(KeysFileSchema, value).First();
    throw new Error(`invalid keys file: ${first?.path ?? ''} ${first?.message ?? ''}`.trim());
  }
  const seen = new Set<string>();
  for (const k of value.keys) {
    if (seen.has(k.id)) throw new Error(`invalid keys file: duplicate key id ${k.id}`);
    seen.add(k.id);
  }
  return value;
}

/** Compiles parsed entries into an id → key map; throws on a bad date or CIDR. */
export function compileKeys(file: KeysFile): Map<string, CompiledKey> {
  const map = new Map<string, CompiledKey>();
  for (const entry of file.keys) {
    let expiresAtMs: number | undefined;
    if (entry.expiresAt !== undefined) {
      expiresAtMs = Date.parse(entry.expiresAt);
      if (Number.isNaN(expiresAtMs)) throw new Error(`invalid keys file: key ${entry.id} has a bad expiresAt`);
    }
    let cidrs: CidrMatcher | undefined;
    if (entry.allowedCidrs !== undefined) {
      try {
        cidrs = new CidrMatcher(entry.allowedCidrs);
      } catch (err) {
        throw new Error(`invalid keys file: key ${entry.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const bytes = Buffer.from(entry.hash, 'base64url');
    const hashBytes = bytes.length === 32 && bytes.toString('base64url') === entry.hash ? bytes : undefined;
    map.set(entry.id, { entry, expiresAtMs, cidrs, hashBytes });
  }
  return map;
}

/** Reads a keys file from disk; a missing file is an empty one (for the CLI's first create). */
export function readKeysFile(file: string, allowMissing = false): KeysFile {
  if (allowMissing && !existsSync(file)) return { keys: [] };
  return parseKeysFile(readFileSync(file, 'utf8'));
}

/**
 * Writes a keys file atomically (temp file + rename) so a gateway watching it never reads
 * half a file. `.json` files are written as JSON, anything else as YAML. Mode 0600: the
 * hashes are not secrets, but nobody else needs them.
 */
export function writeKeysFile(file: string, data: KeysFile): void {
  const text = file.endsWith('.json') ? `${JSON.stringify(data, null, 2)}\n` : stringifyYaml(data);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
