import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * The vulnerable shop: a small API that gets the OWASP API Top 10 wrong on purpose, for
 * `portcullis scan` to find (directly) and for the gateway to stop (portcullis.yaml):
 *
 * - authentication: decodes the bearer JWT without verifying it (alg none, stripped or forged
 *   signatures, expired tokens and other audiences are all accepted);
 * - BOLA: any caller reads or deletes any order (sequential ids) and reads any user;
 * - BFLA: GET /shop/admin/users has no role check;
 * - mass assignment: POST /orders and PATCH /users/{id} apply every field sent (owner, status, role);
 * - injection: GET /shop/products?q= builds "SQL" by concatenation and echoes the database error;
 * - excessive data exposure: users come back with password_hash and ssn;
 * - resource consumption: no rate limit, no bound on quantity.
 *
 * Never run it anywhere but loopback.
 */
export interface VulnerableShop {
  readonly url: string;
  /** `METHOD path` of every request that reached the shop. */
  readonly seen: string[];
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;

function seed(): { users: Map<string, Obj>; orders: Map<number, Obj>; products: Obj[] } {
  const user = (id: string, role: string, ssn: string): [string, Obj] => [id, {
    id, name: id[0]!.toUpperCase() + id.slice(1), email: `${id}@shop.example`, role,
    password_hash: `$2b$10$${id}hashhashhashhashhashhash`, ssn,
  }];
  return {
    users: new Map([user('alice', 'user', '000-11-1111'), user('bob', 'user', '000-22-2222'), user('root', 'admin', '000-33-3333')]),
    orders: new Map([[1, { id: 1, owner: 'bob', status: 'paid', item: 'Bob\'s secret purchase', quantity: 1 }]]),
    products: [{ id: 1, name: 'Lamp', price: 20 }, { id: 2, name: 'Desk', price: 150 }, { id: 3, name: 'Chair', price: 80 }],
  };
}

/** The caller, from the bearer token's payload, never checked. */
function principal(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+([^.\s]+)\.([^.\s]+)\.?/i.exec(req.headers.authorization ?? '');
  if (m === null) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

async function body(req: IncomingMessage): Promise<Obj> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) { size += (c as Buffer).length; if (size > 1_048_576) throw new Error('too large'); chunks.push(c as Buffer); }
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed = text === '' ? {} : JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Obj : {};
}

/**
 * Starts the shop on loopback (`port` 0 picks one).
 *
 * @example
 * const shop = await startVulnerableShop();
 * await fetch(`${shop.url}/shop/products?q=lamp`);
 */
export async function startVulnerableShop(port = 0, host = '127.0.0.1'): Promise<VulnerableShop> {
  const { users, orders, products } = seed();
  let nextOrder = 2;
  const seen: string[] = [];
  const send = (res: ServerResponse, status: number, value?: unknown, type = 'application/json'): void => {
    const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'x-powered-by': 'vulnerable-shop' });
    res.end(text);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    seen.push(`${req.method} ${url.pathname}`);
    handle(req, res, url).catch(() => send(res, 500, { error: 'internal error' }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/shop/products') {
      const q = url.searchParams.get('q') ?? '';
      const sql = `SELECT * FROM products WHERE name LIKE '%${q}%'`;
      // An unbalanced quote breaks the concatenated statement and the error goes back verbatim.
      if ((q.match(/'/g)?.length ?? 0) % 2 === 1) return send(res, 500, `SQLITE_ERROR: unrecognized token: "'" in ${sql}`, 'text/plain');
      if (/\bor\b\s*'?\d*'?\s*=\s*'?\d*/i.test(q)) return send(res, 200, { items: products });
      return send(res, 200, { items: products.filter((p) => String(p.name).toLowerCase().includes(q.toLowerCase())) });
    }
    const who = principal(req);
    if (who === undefined) return send(res, 401, { error: 'missing token' });
    if (method === 'GET' && path === '/shop/orders') return send(res, 200, { items: [...orders.values()].filter((o) => o.owner === who) });
    if (method === 'POST' && path === '/shop/orders') {
      const order: Obj = { id: nextOrder++, owner: who, status: 'new', ...await body(req) };
      orders.set(order.id as number, order);
      return send(res, 201, order);
    }
    let m = /^\/shop\/orders\/([^/]+)$/.exec(path);
    if (m !== null) {
      const order = orders.get(Number(m[1]));
      if (order === undefined) return send(res, 404, { error: 'no such order' });
      if (method === 'GET') return send(res, 200, order);
      if (method === 'DELETE') { orders.delete(order.id as number); return send(res, 204); }
    }
    m = /^\/shop\/users\/([^/]+)$/.exec(path);
    if (m !== null) {
      const user = users.get(decodeURIComponent(m[1]!));
      if (user === undefined) return send(res, 404, { error: 'no such user' });
      if (method === 'GET') return send(res, 200, user);
      if (method === 'PATCH') { Object.assign(user, await body(req)); return send(res, 200, user); }
    }
    if (method === 'GET' && path === '/shop/admin/users') return send(res, 200, { items: [...users.values()] });
    return send(res, 404, { error: 'not found' });
  }
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// As a script: `node dist/examples/vulnerable-shop/server.js [port]` (default 3200).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const shop = await startVulnerableShop(Number(process.argv[2] ?? 3200));
  console.log(`vulnerable shop on ${shop.url}/shop (loopback only; do not expose)`);
}
