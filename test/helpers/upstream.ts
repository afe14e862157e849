import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the fake upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A real upstream on 127.0.0.1:0 that records requests. */
export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  /** Requests whose body never completed because the peer went away. */
  aborted(): number;
  /** Open sockets from the gateway right now. */
  connections(): number;
  close(): Promise<void>;
}

type Responder = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const defaultResponder: Responder = (req, res, body) => {
  const payload = JSON.stringify({ ok: true, method: req.method, url: req.url, bodyLength: body.length });
  res.writeHead(200, { 'content-type': 'application/json', server: 'fake/1.0', 'x-powered-by': 'test', 'access-control-allow-origin': '*' });
  res.end(payload);
};

/**
 * Starts an upstream that answers every request with `respond` (default: JSON echo of
 * method, url and body length, plus fingerprint headers the gateway must strip).
 *
 * @example
 * const up = await startUpstream();
 * // ... up.seen[0].headers['x-forwarded-for']
 */
export async function startUpstream(respond: Responder = defaultResponder, opts: { readBody?: boolean } = {}): Promise<FakeUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let aborted = 0;
  const server = http.createServer((req, res) => {
    req.once('close', () => { if (!req.complete) aborted += 1; });
    if (opts.readBody === false) {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) };
      seen.push(entry);
      respond(req, res, entry.body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      respond(req, res, body);
    });
    req.on('error', () => {});
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    connections: () => sockets.size,
    aborted: () => aborted,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
