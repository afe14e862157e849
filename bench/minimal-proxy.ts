import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and must not be forwarded;
// undici also refuses several of them on a request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization', 'proxy-authenticate']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * The floor any Node gateway pays: a node:http server that forwards each request through
 * an undici `Pool` with `pool.stream()`, writing the upstream response straight into the
 * client response. No routing, no checks, no logging.
 *
 * @example
 * const proxy = await startMinimalProxy('http://127.0.0.1:3000', 0);
 */
export function startMinimalProxy(upstream: string, port: number, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 60_000 });
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const withBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.stream<ServerResponse>({
      path: req.url ?? '/',
      method: method as 'GET',
      headers: forwardable(req.headers) as Record<string, string>,
      body: withBody ? req : null,
      opaque: res,
    }, ({ statusCode, headers, opaque }) => {
      opaque.writeHead(statusCode, forwardable(headers));
      return opaque;
    }, (err) => {
      if (err === null) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
        res.end('bad gateway');
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: async () => {
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          await pool.close();
        },
      });
    });
  });
}

// As a child process: UPSTREAM (required) and PORT (default 0); prints "listening <port>".
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const upstream = process.env.UPSTREAM;
  if (upstream === undefined) {
    process.stderr.write('minimal proxy: set UPSTREAM, e.g. UPSTREAM=http://127.0.0.1:3000\n');
    process.exit(1);
  }
  startMinimalProxy(upstream, Number(process.env.PORT ?? 0)).then((s) => {
    process.stdout.write(`listening ${s.port}\n`);
    process.once('SIGTERM', () => { void s.close().then(() => process.exit(0)); });
  }, (err: unknown) => {
    process.stderr.write(`minimal proxy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
