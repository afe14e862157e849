import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** A book as the demo API stores and returns it. */
export interface Book {
  readonly id: string;
  readonly title: string;
  readonly author: string;
  readonly year?: number;
}

/** A running demo upstream. */
export interface DemoUpstream {
  readonly port: number;
  close(): Promise<void>;
}

// The demo trusts nobody either: it bounds what it reads, so the example never models a
// service that buffers unlimited input.
const MAX_BODY = 1_048_576;

const SEED: readonly Book[] = [
  { id: '1', title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', year: 1969 },
  { id: '2', title: 'Kindred', author: 'Octavia E. Butler', year: 1979 },
  { id: '3', title: 'Neuromancer', author: 'William Gibson', year: 1984 },
];

// Deliberately not in openapi.yaml: the gateway must never let a client reach it.
const ADMIN_USERS = [
  { id: 'u1', email: 'root@bookstore.example', role: 'admin', passwordHash: '$2b$12$notARealHashJustDemoData' },
  { id: 'u2', email: 'ops@bookstore.example', role: 'operator', passwordHash: '$2b$12$anotherFakeHashForTheDemo' },
];

/**
 * Starts the quickstart's "bookstore" API: plain node:http, in-memory data, and two
 * deliberate flaws the gateway hides (fingerprint headers, an undocumented admin endpoint).
 * Each call gets its own copy of the seed data.
 *
 * @example
 * const up = await startDemoUpstream(0);
 * await fetch(`http://127.0.0.1:${up.port}/v1/books`);
 * await up.close();
 */
export function startDemoUpstream(port: number, host = '127.0.0.1'): Promise<DemoUpstream> {
  const books = new Map<string, Book>(SEED.map((b) => [b.id, { ...b }]));
  let nextId = SEED.length + 1;

  const server = createServer((req, res) => {
    // The fingerprint headers a real framework would leak; Portcullis removes them.
    res.setHeader('server', 'demo/1.0');
    res.setHeader('x-powered-by', 'node');
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/v1/health') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET, HEAD');
      return send(res, 200, { status: 'ok' });
    }
    if (path === '/v1/admin/users') {
      return send(res, 200, ADMIN_USERS);
    }
    if (path === '/v1/books') {
      if (method === 'GET' || method === 'HEAD') return send(res, 200, [...books.values()]);
      if (method === 'POST') {
        const input = await readJson(req);
        const problem = checkNewBook(input);
        if (problem !== undefined) return send(res, problem.status, { error: problem.message });
        const fields = input as { title: string; author: string; year?: number };
        const book: Book = { id: String(nextId++), title: fields.title, author: fields.author, ...(fields.year !== undefined ? { year: fields.year } : {}) };
        books.set(book.id, book);
        res.setHeader('location', `/v1/books/${book.id}`);
        return send(res, 201, book);
      }
      return notAllowed(res, 'GET, HEAD, POST');
    }
    const m = /^\/v1\/books\/([^/]+)$/.exec(path);
    if (m !== null) {
      const id = decodeURIComponent(m[1]!);
      if (method === 'GET' || method === 'HEAD') {
        const book = books.get(id);
        return book === undefined ? send(res, 404, { error: 'book not found' }) : send(res, 200, book);
      }
      if (method === 'DELETE') {
        if (!books.delete(id)) return send(res, 404, { error: 'book not found' });
        res.writeHead(204).end();
        return undefined;
      }
      return notAllowed(res, 'GET, HEAD, DELETE');
    }
    return send(res, 404, { error: 'not found' });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
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

const BAD_JSON = Symbol('bad-json');
const TOO_LARGE = Symbol('too-large');

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return TOO_LARGE;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return BAD_JSON;
  }
}

function checkNewBook(input: unknown): { status: number; message: string } | undefined {
  if (input === TOO_LARGE) return { status: 413, message: 'body too large' };
  if (input === BAD_JSON) return { status: 400, message: 'body is not valid JSON' };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { status: 400, message: 'body must be a JSON object' };
  const o = input as Record<string, unknown>;
  if (typeof o.title !== 'string' || o.title.length === 0) return { status: 400, message: 'title is required' };
  if (typeof o.author !== 'string' || o.author.length === 0) return { status: 400, message: 'author is required' };
  if (o.year !== undefined && !Number.isInteger(o.year)) return { status: 400, message: 'year must be an integer' };
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, { error: 'method not allowed' });
}

// Runnable on its own: `node dist/examples/quickstart/upstream.js` (PORT, default 3000).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  startDemoUpstream(port).then((up) => {
    process.stdout.write(`demo bookstore listening on http://127.0.0.1:${up.port}/v1/books\n`);
    const stop = () => { void up.close().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, (err: unknown) => {
    process.stderr.write(`demo upstream failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
