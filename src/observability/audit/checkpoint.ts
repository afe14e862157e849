import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from './record.js';

/**
 * A signed statement "the chain of `instance` had record `seq` with hash `hash` at `time`".
 * `periodic` checkpoints make truncation detectable; a `retention` checkpoint anchors the
 * first record kept after old ones were deleted.
 */
export interface AuditCheckpoint {
  readonly instance: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly kind: 'periodic' | 'retention';
  /** Base64 Ed25519 signature over the canonical JSON of the other fields. */
  readonly signature: string;
}

/** The key pair checkpoints are signed and verified with. */
export interface AuditSigner {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function payload(c: Omit<AuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(canonicalJson({ instance: c.instance, seq: c.seq, hash: c.hash, time: c.time, kind: c.kind }), 'utf8');
}

/**
 * Signs a checkpoint.
 *
 * @example
 * const cp = signCheckpoint(signer, { instance: 'gw-1', seq: 10, hash, time: new Date().toISOString(), kind: 'periodic' });
 */
export function signCheckpoint(signer: AuditSigner, c: Omit<AuditCheckpoint, 'signature'>): AuditCheckpoint {
  return { instance: c.instance, seq: c.seq, hash: c.hash, time: c.time, kind: c.kind, signature: sign(null, payload(c), signer.privateKey).toString('base64') };
}

/**
 * True when the checkpoint's signature is valid for `publicKey`.
 *
 * @example
 * if (!checkpointSignatureValid(signer.publicKey, cp)) throw new Error('forged checkpoint');
 */
export function checkpointSignatureValid(publicKey: KeyObject, c: AuditCheckpoint): boolean {
  try {
    return verify(null, payload(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * The Ed25519 signing key given as PEM text (PKCS#8), e.g. from `${vault:...}`.
 *
 * @example
 * const signer = signerFromPem(config.audit.signingKey);
 */
export function signerFromPem(pem: string): AuditSigner {
  let privateKey;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    // The PEM is a secret: the message never quotes it.
    throw new Error('audit signing key (inline PEM): not a readable PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`audit signing key (inline PEM) is ${privateKey.asymmetricKeyType}, not ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Loads the Ed25519 signing key from a PEM file (PKCS#8). With `create`, a missing file is
 * generated (directory 0700, file 0600); without it, a missing file is an error, so
 * `audit verify` never invents a key.
 *
 * @example
 * const signer = loadSigner('/var/lib/portcullis/audit-signing-key.pem', { create: true });
 */
export function loadSigner(file: string, opts: { create: boolean }): AuditSigner {
  if (!existsSync(file)) {
    if (!opts.create) throw new Error(`audit signing key ${file} not found`);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    // 'wx' so two processes starting at once never overwrite each other's key.
    try {
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600); // the umask may have narrowed the mode, never widened; make it exact
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`audit signing key ${file} is ${privateKey.asymmetricKeyType}, not ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
