import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { MAX_HELLO_RECORD, helloRecordLength, parseClientHello } from './client-hello.js';
import { ja4Of, type Ja4 } from './ja4.js';

const fingerprints = new WeakMap<object, Ja4>();
/** How long the listener waits for the first record before handing the socket to TLS anyway. */
const WAIT_MS = 10_000;

/**
 * The JA4 fingerprint of the ClientHello that opened a TLS socket, when it was captured.
 *
 * @example
 * ja4OfSocket(req.socket)?.ja4; // 't13d1516h2_8daaf6152771_e5627efa2ab1'
 */
export function ja4OfSocket(socket: object): Ja4 | undefined {
  return fingerprints.get(socket);
}

/**
 * Captures the ClientHello of every connection to a TLS server before the handshake consumes it:
 * the server's own 'connection' listeners (the TLS wrapper) are deferred until the first TLS
 * record has arrived (or WAIT_MS passed, or the bytes are not TLS); the bytes read are put back
 * with `unshift`, so the TLS socket reads them as if nothing happened (Node's TLSSocket feeds a
 * wrapped socket's buffered data to the handshake). The fingerprint is attached to the TLSSocket
 * on 'secureConnection', matched by the connection's remote address and port.
 *
 * @example
 * const server = https.createServer(opts, handler);
 * captureClientHellos(server);
 */
export function captureClientHellos(server: TlsServer): void {
  const original = server.listeners('connection') as ((s: Socket) => void)[];
  server.removeAllListeners('connection');
  const pending = new Map<string, Ja4>();
  const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => `${s.remoteAddress ?? ''}|${s.remotePort ?? 0}`;

  server.on('connection', (socket: Socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.pause();
      const buf = Buffer.concat(chunks, size);
      const hello = parseClientHello(buf);
      if (hello !== undefined) {
        const key = keyOf(socket);
        pending.set(key, ja4Of(hello));
        socket.once('close', () => pending.delete(key));
      }
      if (buf.length > 0) socket.unshift(buf);
      for (const l of original) l.call(server, socket);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const need = helloRecordLength(Buffer.concat(chunks, size));
      if (need === 0 || (need > 0 && size >= need) || size >= MAX_HELLO_RECORD) finish();
    };
    const onClose = () => { done = true; clearTimeout(timer); };
    const timer = setTimeout(finish, WAIT_MS);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
  });

  server.prependListener('secureConnection', (tlsSocket: TLSSocket) => {
    const key = keyOf(tlsSocket);
    const fp = pending.get(key);
    if (fp === undefined) return;
    pending.delete(key);
    fingerprints.set(tlsSocket, fp);
  });
}
