/** The parts of a TLS ClientHello that fingerprints read (all values as on the wire, GREASE included). */
export interface ClientHello {
  /** legacy_version of the ClientHello body. */
  readonly version: number;
  readonly ciphers: readonly number[];
  /** Extension types in the order sent. */
  readonly extensions: readonly number[];
  /** supported_versions (0x002b) values, when sent. */
  readonly supportedVersions: readonly number[] | undefined;
  /** signature_algorithms (0x000d) in the order sent. */
  readonly signatureAlgorithms: readonly number[];
  /** The first ALPN protocol name (raw bytes), when sent. */
  readonly firstAlpn: Buffer | undefined;
  readonly serverName: string | undefined;
}

/** Largest ClientHello we wait for: one TLS record (2^14) plus its header. */
export const MAX_HELLO_RECORD = 16_384 + 5;

/**
 * How many bytes the first TLS record needs, from its header: the record length + 5, or 0 when the
 * bytes cannot be a TLS handshake record (then nothing is waited for), or -1 when fewer than 5
 * bytes have arrived.
 *
 * @example
 * helloRecordLength(Buffer.from('1603010200', 'hex')); // 517
 */
export function helloRecordLength(buf: Buffer): number {
  if (buf.length < 5) return buf.length > 0 && buf[0] !== 0x16 ? 0 : -1;
  if (buf[0] !== 0x16 || buf[1] !== 0x03) return 0;
  return buf.readUInt16BE(3) + 5;
}

/**
 * Parses the ClientHello in the first TLS record. Returns undefined for anything that is not a
 * complete, well-formed ClientHello in that record (a hello split over several records is rare
 * and then simply gets no fingerprint). Every length is checked against its container: the
 * input is the client's.
 *
 * @example
 * const hello = parseClientHello(record);
 */
export function parseClientHello(rec: Buffer): ClientHello | undefined {
  const total = helloRecordLength(rec);
  if (total <= 0 || rec.length < total) return undefined;
  const body = rec.subarray(5, total);
  if (body.length < 4 || body[0] !== 0x01) return undefined;
  const hsLen = body.readUIntBE(1, 3);
  if (hsLen + 4 > body.length) return undefined;
  const h = body.subarray(4, 4 + hsLen);
  let p = 0;
  const need = (n: number) => { if (p + n > h.length) throw new RangeError('short'); };
  try {
    need(2 + 32 + 1);
    const version = h.readUInt16BE(0);
    p = 34;
    const sid = h[p]!; p += 1; need(sid); p += sid;
    need(2); const cl = h.readUInt16BE(p); p += 2; need(cl);
    if (cl % 2 !== 0) return undefined;
    const ciphers: number[] = [];
    for (let i = 0; i < cl; i += 2) ciphers.push(h.readUInt16BE(p + i));
    p += cl;
    need(1); const comp = h[p]!; p += 1; need(comp); p += comp;
    const extensions: number[] = [];
    let supportedVersions: number[] | undefined;
    let signatureAlgorithms: number[] = [];
    let firstAlpn: Buffer | undefined;
    let serverName: string | undefined;
    if (p < h.length) {
      need(2); const el = h.readUInt16BE(p); p += 2; need(el);
      const end = p + el;
      while (p < end) {
        need(4);
        const type = h.readUInt16BE(p); const len = h.readUInt16BE(p + 2); p += 4; need(len);
        if (p + len > end) return undefined;
        const data = h.subarray(p, p + len);
        extensions.push(type);
        if (type === 0x002b && len >= 1) supportedVersions = u16List(data.subarray(1, 1 + data[0]!));
        else if (type === 0x000d && len >= 2) signatureAlgorithms = u16List(data.subarray(2, 2 + data.readUInt16BE(0)));
        else if (type === 0x0010 && len >= 3) {
          const n = data[2]!;
          if (3 + n <= len) firstAlpn = Buffer.from(data.subarray(3, 3 + n));
        } else if (type === 0x0000 && len >= 5 && data[2] === 0) {
          const n = data.readUInt16BE(3);
          if (5 + n <= len) serverName = data.subarray(5, 5 + n).toString('latin1');
        }
        p += len;
      }
    }
    return { version, ciphers, extensions, supportedVersions, signatureAlgorithms, firstAlpn, serverName };
  } catch {
    return undefined;
  }
}

function u16List(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}
