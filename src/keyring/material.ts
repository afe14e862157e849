import type { KeyringKeyConfig } from './schema.js';

/** One version parsed from a stored value. */
export interface ParsedVersion {
  readonly version: number;
  readonly key: Uint8Array;
}

const VERSIONED = /^([1-9][0-9]{0,8}):(\S+)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Decodes one stored key value. Messages never quote the value.
 *
 * @example
 * decodeKey('3q2+7w==', 'base64'); // Uint8Array [222, 173, 190, 239]
 */
export function decodeKey(text: string, encoding: KeyringKeyConfig['encoding']): Uint8Array {
  const t = encoding === 'utf8' ? text : text.trim();
  let out: Buffer;
  switch (encoding) {
    case 'base64':
      if (!BASE64.test(t) || t.length % 4 !== 0) throw new Error('is not valid base64');
      out = Buffer.from(t, 'base64');
      break;
    case 'base64url':
      if (!BASE64URL.test(t)) throw new Error('is not valid base64url');
      out = Buffer.from(t, 'base64url');
      break;
    case 'hex':
      if (!HEX.test(t)) throw new Error('is not valid hex');
      out = Buffer.from(t, 'hex');
      break;
    default:
      out = Buffer.from(t, 'utf8');
  }
  if (out.length === 0) throw new Error('is empty');
  return new Uint8Array(out);
}

/**
 * Parses a value from an env var or a key file: either one bare key (version `fallback`) or
 * several `<version>:<key>` entries separated by whitespace, newest first or in any order.
 * The utf8 encoding takes the value as one key.
 *
 * @example
 * parseVersions('2:AAAA 1:BBBB', 'base64', 1); // [{ version: 2, ... }, { version: 1, ... }]
 */
export function parseVersions(text: string, encoding: KeyringKeyConfig['encoding'], fallback: number): ParsedVersion[] {
  const tokens = encoding === 'utf8' ? [] : text.split(/\s+/).filter((t) => t !== '');
  if (tokens.length > 0 && tokens.every((t) => VERSIONED.test(t))) {
    const seen = new Set<number>();
    const out: ParsedVersion[] = [];
    for (const t of tokens) {
      const m = VERSIONED.exec(t)!;
      const version = Number(m[1]);
      if (seen.has(version)) throw new Error(`lists version ${version} twice`);
      seen.add(version);
      try {
        out.push({ version, key: decodeKey(m[2]!, encoding) });
      } catch (err) {
        throw new Error(`version ${version} ${(err as Error).message}`);
      }
    }
    return out.sort((a, b) => b.version - a.version);
  }
  if (tokens.length > 1) throw new Error('holds several values: write one key, or "<version>:<key>" entries');
  return [{ version: fallback, key: decodeKey(text, encoding) }];
}

/**
 * Renders versions as a key file (newest first, one `<version>:<key>` per line).
 *
 * @example
 * formatVersions([{ version: 2, key }], 'base64'); // '2:...\n'
 */
export function formatVersions(versions: readonly ParsedVersion[], encoding: Exclude<KeyringKeyConfig['encoding'], 'utf8'>): string {
  return [...versions].sort((a, b) => b.version - a.version).map((v) => `${v.version}:${Buffer.from(v.key).toString(encoding)}`).join('\n') + '\n';
}
