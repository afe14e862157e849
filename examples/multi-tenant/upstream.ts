import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * A deliberately naive multi-tenant notes service: it trusts the caller completely. It returns
 * password hashes, serves any user or note to anyone, lists every tenant's notes, and applies
 * whatever fields a client sends. Everything that keeps this safe is in portcullis.yaml.
 */

/** A running notes upstream; `seen` lists `METHOD path` of every request that reached it. */
export interface NotesUpstream {
  readonly url: string;
  readonly seen: string[];
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;
const MAX_BODY = 1_048_576;

function seed(): { users: Map<string, Obj>; notes: Map<string, Obj> } {
  const user = (id: string, tenantId: string, roles: string[]): [string, Obj] => [`${tenantId}/${id}`, {
    id, tenantId, name: id[0]!.toUpperCase() + id.slice(1), email: `${id}@${tenantId}.example`, roles,
    password: `$argon2id$v=19$m=65536,t=3,p=4$${id}-hash`, lastLoginIp: '198.51.100.7',
  }];
  const note = (id: string, tenantId: string, ownerId: string, title: string): [string, Obj] => [id, { id, tenantId, ownerId, title, text: `${title} (${ownerId})` }];
  return {
    users: new Map([user('alice', 'acme', ['user']), user('bob', 'acme', ['user']), user('root', 'acme', ['admin']), user('gina', 'globex', ['user'])]),
    notes: new Map([note('n1', 'acme', 'alice', 'Alice plan'), note('n2', 'acme', 'bob', 'Bob salary'), note('n3', 'globex', 'gina', 'Globex merger')]),
  };
}

/**
 * Starts the notes upstream on loopback (`port` 0 picks one).
 *
 * @example
 * const up = await startNotesUpstream(3100);
 */
export async function startNotesUpstream(port = 0, host = '127.0.0.1'): Promise<NotesUpstream> {
  const { users, notes } = seed();
  const seen: string[] = [];
  let next = 4;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handle(req, res).catch(() => send(res, 500, { title: 'upstream error' }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    let m: RegExpMatchArray | null;
    if ((m = /^\/api\/tenants\/([^/]+)\/users\/([^/]+)$/.exec(path)) !== null) {
      const key = `${m[1]}/${m[2]}`;
      const user = users.get(key);
      if (user === undefined) return send(res, 404, { title: 'no such user', status: 404 });
      if (req.method === 'DELETE') { users.delete(key); return send(res, 204); }
      // Mass assignment: every field sent is applied, roles and tenant included.
      if (req.method === 'PATCH') Object.assign(user, await readJson(req));
      return send(res, 200, user);
    }
    if ((m = /^\/api\/tenants\/([^/]+)\/notes$/.exec(path)) !== null) {
      if (req.method === 'POST') {
        const note = { tenantId: m[1], ownerId: req.headers['x-portcullis-subject'], ...(await readJson(req) as Obj), id: `n${next++}` };
        notes.set(note.id, note);
        return send(res, 201, note);
      }
      // The bug the gateway covers for: every tenant's notes, not just this one's.
      return send(res, 200, { items: [...notes.values()] });
    }
    if ((m = /^\/api\/notes\/([^/]+)$/.exec(path)) !== null) {
      const note = notes.get(m[1]!);
      return note === undefined ? send(res, 404, { title: 'no such note', status: 404 }) : send(res, 200, note);
    }
    if ((m = /^\/api\/admin\/tenants\/([^/]+)\/users$/.exec(path)) !== null) {
      return send(res, 200, [...users.values()].filter((u) => u.tenantId === m![1]));
    }
    if (/^\/api\/admin\/tenants\/[^/]+$/.test(path) && req.method === 'DELETE') return send(res, 204);
    return send(res, 404, { title: 'not found', status: 404 });
  }
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host}:${addr.port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c);
  }
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) { res.writeHead(status).end(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const up = await startNotesUpstream(Number(process.env.PORT ?? 3100));
  console.log(`notes upstream on ${up.url}`);
}
