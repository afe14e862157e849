import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { UpstreamTlsConfig } from '../config/schema.js';

/** The error code a certificate that matches none of the configured SPKI pins fails the handshake with. */
export const PIN_MISMATCH_CODE = 'ERR_PCL_UPSTREAM_PIN_MISMATCH';

/** Connect options for an https upstream, plus the files they came from (watched for reload). */
export interface CompiledUpstreamTls {
  readonly connect: ConnectionOptions;
  readonly files: readonly string[];
}

/**
 * The SHA-256 SPKI pin of a certificate, as `sha256/<base64>` (the form of RFC 7469 and of
 * curl's `--pinnedpubkey`). Pinning the key, not the certificate, survives a re-issue with the same key.
 *
 * @example
 * spkiPin(new X509Certificate(readFileSync('upstream.crt'))); // 'sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
 */
export function spkiPin(cert: X509Certificate | PeerCertificate): string {
  // PeerCertificate.pubkey is not the SPKI for every key type (an EC key gives the bare point), so the
  // SubjectPublicKeyInfo is taken from the certificate's DER.
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert.raw);
  const der = x509.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(der).digest('base64')}`;
}

/** Accepts `sha256/B64`, `sha256//B64` (curl) and bare base64; returns the canonical `sha256/B64`. */
export function normalisePin(pin: string): string | undefined {
  // A digest whose base64 starts with '/' makes the canonical form read `sha256//...`, the same
  // prefix as curl's; a 32-byte digest is exactly 44 base64 characters, so at most one reading fits.
  const prefixed = /^sha256\//i.test(pin);
  const candidates = prefixed ? [pin.slice(7), pin.slice(8)] : [pin];
  for (const b64 of candidates) {
    if (Buffer.from(b64, 'base64').toString('base64') === b64 && b64.length === 44) return `sha256/${b64}`;
  }
  return undefined;
}

/**
 * Compiles an API's `upstreamTls` block into TLS connect options for undici. Files are read
 * here, at load (a missing or unreadable file is a config error, the old config keeps serving);
 * certificate chain verification always stays on, and SPKI pins are checked after it, so a pin
 * narrows trust and never widens it.
 *
 * @example
 * const { connect } = compileUpstreamTls({ ca: 'ca.pem', pins: ['sha256/...'], minVersion: 'TLSv1.2' }, '/etc/portcullis');
 */
export function compileUpstreamTls(cfg: UpstreamTlsConfig, baseDir: string): CompiledUpstreamTls {
  const files: string[] = [];
  const read = (file: string): Buffer => {
    const full = resolve(baseDir, file);
    files.push(full);
    return readFileSync(full);
  };
  const pins = new Set<string>();
  for (const p of cfg.pins ?? []) {
    const n = normalisePin(p);
    if (n === undefined) throw new Error(`invalid SPKI pin "${p}": expected sha256/<base64 of 32 bytes>`);
    pins.add(n);
  }
  if ((cfg.cert === undefined) !== (cfg.key === undefined)) throw new Error('cert and key must be given together');
  const connect: ConnectionOptions = {
    minVersion: cfg.minVersion,
    rejectUnauthorized: true,
    ...(cfg.ca !== undefined ? { ca: read(cfg.ca) } : {}),
    ...(cfg.cert !== undefined && cfg.key !== undefined ? { cert: read(cfg.cert), key: read(cfg.key) } : {}),
    ...(cfg.servername !== undefined ? { servername: cfg.servername } : {}),
    ...(pins.size > 0 ? { checkServerIdentity: pinnedIdentity(pins, cfg.servername) } : {}),
  };
  return { connect, files };
}

function pinnedIdentity(pins: ReadonlySet<string>, servername: string | undefined) {
  return (host: string, cert: PeerCertificate): Error | undefined => {
    const identity = checkServerIdentity(servername ?? host, cert);
    if (identity !== undefined) return identity;
    // Any certificate of the chain may carry the pin (leaf or an intermediate), as in RFC 7469 §2.6.
    const seen = new Set<PeerCertificate>();
    for (let c: PeerCertificate | undefined = cert; c !== undefined && !seen.has(c); c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate) {
      seen.add(c);
      if (c.raw !== undefined && pins.has(spkiPin(c))) return undefined;
    }
    return Object.assign(new Error('upstream certificate matches no configured SPKI pin'), { code: PIN_MISMATCH_CODE });
  };
}
