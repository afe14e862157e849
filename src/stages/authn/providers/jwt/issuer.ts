import { createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import type { JWTVerifyOptions } from 'jose';
import { WatchedFile } from '../api-key/watched-file.js';
import { localKeySet, RemoteJwks, type KeySetFunction } from './remote-jwks.js';
import type { JwksOptions, JwtIssuerConfig } from './schema.js';
import { classifyKeyObject } from './key-check.js';
import type { Keyring } from '../../../../keyring/keyring.js';

/** One issuer compiled: its accepted algorithms, key source and jose verify options. */
export interface CompiledIssuer {
  readonly issuer: string;
  readonly algorithms: ReadonlySet<string>;
  /** Fixed key material (secret); undefined when keys come from `remote` or `file`. */
  readonly key: KeySetFunction | KeyObject | Uint8Array | undefined;
  /** Keys from `keysFile`, re-read when the file changes. */
  readonly file: WatchedFile<KeySetFunction | KeyObject> | undefined;
  readonly remote: RemoteJwks | undefined;
  readonly options: JWTVerifyOptions;
  /** With `secretKey`: the older versions of the secret, newest first, still accepted (rotation overlap). */
  readonly previous: readonly Uint8Array[];
}

const HMAC = /^HS\d{3}$/;

/**
 * Checks and compiles one issuer's config. Throws (a config error) when key sources are
 * missing or ambiguous, or when HMAC algorithms are mixed with public keys (RFC 8725 3.1:
 * an issuer with public keys never accepts HS*, which closes the algorithm-confusion attack).
 *
 * @example
 * const issuer = compileIssuer(cfg, jwksOptions, '/etc/portcullis');
 */
export function compileIssuer(cfg: JwtIssuerConfig, jwks: JwksOptions, baseDir: string, file: { checkMs: number; onChange: () => void } = { checkMs: 1000, onChange: () => {} }, keyring?: Keyring): CompiledIssuer {
  const sources = [cfg.jwksUri, cfg.discovery === true || cfg.discoveryUrl !== undefined ? true : undefined, cfg.keysFile, cfg.secret, cfg.secretKey]
    .filter((s) => s !== undefined);
  const name = `issuer ${JSON.stringify(cfg.issuer)}`;
  if (sources.length !== 1) {
    throw new Error(`${name}: set exactly one key source (jwksUri, discovery/discoveryUrl, keysFile, secret or secretKey); found ${sources.length}`);
  }
  const hmac = cfg.algorithms.filter((a) => HMAC.test(a));
  if (cfg.secret !== undefined || cfg.secretKey !== undefined) {
    if (hmac.length !== cfg.algorithms.length) throw new Error(`${name}: with a shared secret only HS256/HS384/HS512 are possible; set algorithms: [HS256]`);
  } else if (hmac.length > 0) {
    throw new Error(`${name}: ${hmac.join(', ')} needs a shared secret and is never accepted for an issuer with public keys (algorithm confusion)`);
  }

  let key: CompiledIssuer['key'];
  let remote: RemoteJwks | undefined;
  let watched: CompiledIssuer['file'];
  let previous: Uint8Array[] = [];
  if (cfg.secret !== undefined) {
    key = new TextEncoder().encode(cfg.secret);
  } else if (cfg.secretKey !== undefined) {
    if (keyring === undefined || !keyring.has(cfg.secretKey)) throw new Error(`${name}: secretKey "${cfg.secretKey}" is not in keyring.keys (or could not be read)`);
    const versions = keyring.versionsOf(cfg.secretKey);
    const short = versions.find((v) => v.key.length < 32);
    if (short !== undefined) throw new Error(`${name}: secretKey ${short.kid} is ${short.key.length} bytes; HMAC secrets need at least 32`);
    key = versions[0]!.key;
    previous = versions.slice(1).map((v) => v.key);
  } else if (cfg.keysFile !== undefined) {
    const shown = cfg.keysFile;
    let first = true;
    try {
      watched = new WatchedFile(resolve(baseDir, shown), (text) => {
        const keys = parseKeysText(text, shown);
        if (!first) file.onChange();
        first = false;
        return keys;
      }, file.checkMs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw code === undefined ? err : new Error(`keysFile ${shown}: cannot be read (${code})`);
    }
  } else if (cfg.jwksUri !== undefined) {
    remote = new RemoteJwks({ jwksUri: cfg.jwksUri }, jwks);
  } else {
    const discoveryUrl = cfg.discoveryUrl ?? `${cfg.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    remote = new RemoteJwks({ discoveryUrl, issuer: cfg.issuer }, jwks);
  }

  const options: JWTVerifyOptions = {
    issuer: cfg.issuer,
    audience: cfg.audiences,
    algorithms: cfg.algorithms,
    clockTolerance: cfg.clockToleranceSeconds,
    requiredClaims: ['exp', 'iss', 'aud'],
    ...(cfg.typ === undefined ? {} : { typ: cfg.typ }),
    ...(cfg.maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: cfg.maxTokenAgeSeconds }),
  };
  return { issuer: cfg.issuer, algorithms: new Set(cfg.algorithms), key, file: watched, remote, options, previous };
}

function parseKeysText(text: string, shown: string): KeySetFunction | KeyObject {
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`keysFile ${shown}: not valid JSON`);
    }
    return localKeySet(json, `keysFile ${shown}`);
  }
  if (/PRIVATE KEY/.test(text)) throw new Error(`keysFile ${shown}: holds a private key; give the public key or certificate only`);
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new Error(`keysFile ${shown}: neither a JWKS nor a PEM public key or certificate`);
  }
  // One key and no kid: a key that can never verify makes the whole file unusable, so it fails the load.
  const why = classifyKeyObject(key);
  if (why !== undefined) throw new Error(`keysFile ${shown}: ${why.detail}; no token could ever verify with it (${why.reason})`);
  return key;
}
