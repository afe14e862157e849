import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { ServerConfig, TlsConfig } from '../config/schema.js';
import { PortcullisError } from '../errors/index.js';
import { handleClientError, handleConnect } from './client-error.js';
import { captureClientHellos } from '../tls/capture.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A bound listener with connection tracking for graceful shutdown. */
export interface Listener {
  readonly server: http.Server;
  readonly port: number;
  readonly url: string;
  /** Stops accepting, waits up to graceMs for in-flight requests, then closes what is left. */
  close(graceMs: number): Promise<void>;
}

function serverOptions(cfg: ServerConfig): http.ServerOptions {
  return {
    maxHeaderSize: cfg.maxHeaderSize,
    headersTimeout: cfg.headersTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, cfg.headersTimeoutMs),
    // Checked by the request handler instead, which answers problem+json (Node's own 400 has no body) and records it.
    requireHostHeader: false,
  };
}

/** The TLS settings: TLS 1.2 minimum, forward-secret AEAD suites, server cipher order. */
export function tlsOptions(tls: TlsConfig): https.ServerOptions {
  if (tls.clientCertificate === 'require' && tls.clientCa === undefined) throw new PortcullisError('PCL_ERR_TLS', 'server.tls.clientCertificate: require needs server.tls.clientCa (the CAs client certificates must chain to)');
  try {
    return {
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      minVersion: tls.minVersion,
      ciphers: tls.ciphers,
      honorCipherOrder: true,
      // mTLS: by default ask for a certificate but never fail the handshake, so the gateway can answer 401 problem+json.
      ...(tls.clientCa !== undefined
        ? { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: tls.clientCertificate === 'require', ...(tls.crl.length > 0 ? { crl: tls.crl.map((f) => readFileSync(f)) } : {}) }
        : {}),
    };
  } catch (err) {
    throw new PortcullisError('PCL_ERR_TLS', `cannot load TLS certificate/key: ${(err as Error).message}`, { cause: err });
  }
}

function listen(server: http.Server, host: string, port: number, scheme: 'http' | 'https', cleanup: () => void, onConnect: (req: IncomingMessage, socket: Socket, head: Buffer) => void = handleConnect): Promise<Listener> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', handleClientError);
  server.on('connect', onConnect);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new PortcullisError('PCL_ERR_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        server,
        port: bound,
        url: `${scheme}://${shownHost}:${bound}`,
        close: (graceMs) => new Promise<void>((done) => {
          cleanup();
          const timer = setTimeout(() => { server.closeAllConnections(); for (const s of sockets) s.destroy(); }, graceMs);
          timer.unref();
          server.close(() => { clearTimeout(timer); done(); });
          server.closeIdleConnections();
          // Keep-alive sockets that finish their current response are closed rather than reused.
          server.on('request', (_req, res: ServerResponse) => res.setHeader('connection', 'close'));
        }),
      });
    });
  });
}

/** Starts the plain HTTP listener. */
export function listenHttp(cfg: ServerConfig, handler: Handler): Promise<Listener> {
  const server = http.createServer(serverOptions(cfg), handler);
  server.maxConnections = cfg.maxConnections;
  return listen(server, cfg.host, cfg.port, 'http', () => {});
}

/**
 * Starts the egress listener (docs/reference/egress.md): the server settings of the public
 * listener (head size, timeouts, connection cap) on its own address, with CONNECT served.
 */
export function listenEgress(cfg: ServerConfig, host: string, port: number, handler: Handler, onConnect: (req: IncomingMessage, socket: Socket, head: Buffer) => void): Promise<Listener> {
  const server = http.createServer(serverOptions(cfg), handler);
  server.maxConnections = cfg.maxConnections;
  return listen(server, host, port, 'http', () => {}, onConnect);
}

/**
 * Starts the HTTPS listener. The certificate and key are watched and swapped in with
 * setSecureContext when they change; a bad new pair is reported and the old one kept.
 */
export function listenHttps(cfg: ServerConfig, tls: TlsConfig, handler: Handler, onReloadError: (err: Error) => void, onReload: () => void): Promise<Listener> {
  const server = https.createServer({ ...serverOptions(cfg), ...tlsOptions(tls) }, handler);
  server.maxConnections = cfg.maxConnections;
  // Before listen() adds its socket bookkeeping: that must still see every raw socket at once.
  captureClientHellos(server);
  const reload = () => {
    try {
      const opts = tlsOptions(tls);
      server.setSecureContext({ cert: opts.cert, key: opts.key, ca: opts.ca, crl: opts.crl, minVersion: tls.minVersion, ciphers: tls.ciphers, honorCipherOrder: true });
      onReload();
    } catch (err) {
      onReloadError(err as Error);
    }
  };
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => { if (cur.mtimeMs !== prev.mtimeMs) reload(); };
  const watched = [tls.cert, tls.key, ...(tls.clientCa !== undefined ? [tls.clientCa, ...tls.crl] : [])];
  for (const f of watched) watchFile(f, { interval: 500, persistent: false }, onChange);
  return listen(server as unknown as http.Server, tls.host, tls.port, 'https', () => {
    for (const f of watched) unwatchFile(f, onChange);
  });
}
