import { createHash } from 'node:crypto';
import type { ClientHello } from './client-hello.js';

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. Fingerprints ignore them everywhere. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

const VERSIONS: Readonly<Record<number, string>> = { 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2', 0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3' };
const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const two = (n: number) => String(Math.min(99, n)).padStart(2, '0');
const hash12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const alnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

function alpnPart(first: Buffer | undefined): string {
  if (first === undefined || first.length === 0) return '00';
  const a = first[0]!;
  const z = first[first.length - 1]!;
  if (alnum(a) && alnum(z)) return String.fromCharCode(a) + String.fromCharCode(z);
  const h = first.toString('hex');
  return h[0]! + h[h.length - 1]!;
}

/** A JA4 fingerprint and its raw (unhashed) form. */
export interface Ja4 {
  /** e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
  readonly ja4: string;
  /** JA4_r: the sorted lists before hashing, for analysts. */
  readonly raw: string;
}

/**
 * The JA4 TLS client fingerprint (FoxIO, BSD-3-Clause spec) of a ClientHello received over TCP:
 * protocol, version (highest supported_versions, else legacy_version), SNI present, cipher and
 * extension counts, first and last character of the first ALPN; a hash of the sorted ciphers; a hash
 * of the sorted extensions (without SNI and ALPN) and the signature algorithms in order. GREASE is
 * ignored everywhere.
 *
 * @example
 * ja4Of(parseClientHello(record)!).ja4; // 't13d1516h2_8daaf6152771_e5627efa2ab1'
 */
export function ja4Of(h: ClientHello): Ja4 {
  const versions = (h.supportedVersions ?? []).filter((v) => !isGrease(v));
  const version = versions.length > 0 ? Math.max(...versions) : h.version;
  const ciphers = h.ciphers.filter((c) => !isGrease(c));
  const exts = h.extensions.filter((e) => !isGrease(e));
  const sni = exts.includes(0x0000) ? 'd' : 'i';
  const a = `t${VERSIONS[version] ?? '00'}${sni}${two(ciphers.length)}${two(exts.length)}${alpnPart(h.firstAlpn)}`;
  const cipherList = ciphers.map(hex4).sort().join(',');
  const extList = exts.filter((e) => e !== 0x0000 && e !== 0x0010).map(hex4).sort().join(',');
  const sigs = h.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4).join(',');
  const cRaw = sigs === '' ? extList : `${extList}_${sigs}`;
  const b = cipherList === '' ? '000000000000' : hash12(cipherList);
  const c = extList === '' ? '000000000000' : hash12(cRaw);
  return { ja4: `${a}_${b}_${c}`, raw: `${a}_${cipherList}_${cRaw}` };
}
