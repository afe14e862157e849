import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * The body every benchmark request gets back: constant, about 200 bytes of JSON, so the
 * upstream costs as little as possible and the proxies are what is measured.
 */
export const FIXED_BODY = Buffer.from(JSON.stringify({
  id: '42',
  name: 'benchmark item',
  description: 'A constant response body, used to measure the overhead of a proxy on loopback and nothing more.',
  tags: ['bench', 'fixed'],
  price: 1234,
  inStock: true,
}));

/** PEM certificate and key: the upstream then serves HTTPS (the chain bench's `tls` row). */
export interface FixedUpstreamTls { readonly cert: string | Buffer; readonly key: string | Buffer }

/**
 * Starts the fixed-body upstream: every request, any method or path, gets 200 with
 * {@link FIXED_BODY}. Request bodies are drained, never buffered. With `tls`, over HTTPS.
 *
 * @example
 * const { port, close } = await startFixedUpstream(0);
 */
export function startFixedUpstream(port: number, host = '127.0.0.1', tls?: FixedUpstreamTls): Promise<{ port: number; close(): Promise<void> }> {
  const headers = { 'content-type': 'application/json', 'content-length': String(FIXED_BODY.length) };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, headers);
    res.end(FIXED_BODY);
  };
  const server = tls === undefined ? createServer(handler) : createTlsServer({ cert: tls.cert, key: tls.key }, handler);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

// As a child process (the bench runs it in its own process so it has its own event loop):
// prints "listening <port>" once bound; PORT defaults to 0 (any free port). TLS_CERT and TLS_KEY
// (PEM file paths, both or neither): HTTPS.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { TLS_CERT: cert, TLS_KEY: key } = process.env;
  const tls = cert === undefined || key === undefined ? undefined : { cert: readFileSync(cert), key: readFileSync(key) };
  startFixedUpstream(Number(process.env.PORT ?? 0), '127.0.0.1', tls).then((s) => {
    process.stdout.write(`listening ${s.port}\n`);
    process.once('SIGTERM', () => { void s.close().then(() => process.exit(0)); });
  }, (err: unknown) => {
    process.stderr.write(`fixed upstream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
