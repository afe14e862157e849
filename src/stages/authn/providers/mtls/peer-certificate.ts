import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { ClientCertificate } from '../../../../pipeline/context.js';

// One parse per connection, not per request: keep-alive clients send many requests on one socket.
const cache = new WeakMap<Socket, ClientCertificate | null>();

/**
 * The client certificate of a TLS socket, or undefined when the socket is plain or the client
 * sent none. Parsed once per connection.
 *
 * @example
 * const certificate = x.tls ? peerCertificateOf(req.socket) : undefined;
 */
export function peerCertificateOf(socket: Socket): ClientCertificate | undefined {
  const hit = cache.get(socket);
  if (hit !== undefined) return hit ?? undefined;
  const tls = socket as TLSSocket;
  if (typeof tls.getPeerCertificate !== 'function') return undefined;
  const peer = tls.getPeerCertificate(false);
  const cert = peer !== null && peer.raw !== undefined && peer.raw.length > 0 ? toClientCertificate(peer, tls) : null;
  cache.set(socket, cert);
  return cert ?? undefined;
}

function toClientCertificate(peer: PeerCertificate, socket: TLSSocket): ClientCertificate {
  const authorizationError = socket.authorizationError === undefined || socket.authorizationError === null ? undefined : String(socket.authorizationError);
  return Object.freeze({
    authorized: socket.authorized === true,
    authorizationError: socket.authorized === true ? undefined : authorizationError ?? 'UNKNOWN',
    subject: attributes(peer.subject),
    issuer: attributes(peer.issuer),
    san: parseSubjectAltName(peer.subjectaltname ?? ''),
    thumbprint: createHash('sha256').update(peer.raw).digest('base64url'),
    serialNumber: peer.serialNumber,
    validFrom: Date.parse(peer.valid_from),
    validTo: Date.parse(peer.valid_to),
    raw: peer.raw,
  });
}

function attributes(obj: unknown): Readonly<Record<string, readonly string[]>> {
  const out: Record<string, readonly string[]> = {};
  if (typeof obj !== 'object' || obj === null) return out;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return out;
}

/**
 * Splits Node's `subjectaltname` text (`DNS:a, URI:b`) into entries. Node quotes a value that
 * contains a comma or quote as a JSON string (`DNS:"a, b"`), so a crafted name cannot smuggle a
 * second entry.
 *
 * @example
 * parseSubjectAltName('DNS:a.example, URI:spiffe://x/y'); // ['DNS:a.example', 'URI:spiffe://x/y']
 */
export function parseSubjectAltName(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const type = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try { value = JSON.parse(text.slice(j, k + 1)) as string; } catch { value = text.slice(j + 1, k); }
      j = k + 1;
    } else {
      const comma = text.indexOf(', ', j);
      const end = comma === -1 ? text.length : comma;
      value = text.slice(j, end);
      j = end;
    }
    out.push(`${type}:${value}`);
    i = text.startsWith(', ', j) ? j + 2 : j + 1;
  }
  return out;
}

/** Parses a PEM/DER certificate into the same shape (tests and tools; `authorized` as given). */
export function describeCertificate(pemOrDer: string | Buffer, authorized: boolean, authorizationError?: string): ClientCertificate {
  const x = new X509Certificate(pemOrDer);
  const parseDn = (dn: string): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const line of dn.split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      (out[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
    }
    return out;
  };
  return Object.freeze({
    authorized,
    authorizationError: authorized ? undefined : authorizationError ?? 'UNKNOWN',
    subject: parseDn(x.subject),
    issuer: parseDn(x.issuer),
    san: parseSubjectAltName(x.subjectAltName ?? ''),
    thumbprint: createHash('sha256').update(x.raw).digest('base64url'),
    serialNumber: x.serialNumber,
    validFrom: Date.parse(x.validFrom),
    validTo: Date.parse(x.validTo),
    raw: x.raw,
  });
}
