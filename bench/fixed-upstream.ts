import { createServer } from 'node:http';
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

/**
 * Starts the fixed-body upstream: every request, any method or path, gets 200 with
 * {@link FIXED_BODY}. Request bodies are drained, never buffered.
 *
 * @example
 * const { port, close } = await startFixedUpstream(0);
 */
export function startFixedUpstream(port: number, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const headers = { 'content-type': 'application/json', 'content-length': String(FIXED_BODY.length) };
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, headers);
    res.end(FIXED_BODY);
  });
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
// prints "listening <port>" once bound; PORT defaults to 0 (any free port).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  startFixedUpstream(Number(process.env.PORT ?? 0)).then((s) => {
    process.stdout.write(`listening ${s.port}\n`);
    process.once('SIGTERM', () => { void s.close().then(() => process.exit(0)); });
  }, (err: unknown) => {
    process.stderr.write(`fixed upstream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
