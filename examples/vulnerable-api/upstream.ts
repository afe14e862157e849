import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

/** A running vulnerable upstream. */
export interface VulnerableUpstream {
  readonly port: number;
  /** Requests that reached the upstream, as `METHOD /path` (what the gateway let through). */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Who the deliberately vulnerable shop knows. Passwords in clear: it is a test target. */
export const USERS = [
  { id: 1, username: 'alice', password: 'wonderland', role: 'user', email: 'alice@shop.example' },
  { id: 2, username: 'bob', password: 'builder', role: 'user', email: 'bob@shop.example' },
  { id: 3, username: 'root', password: 'toor', role: 'admin', email: 'root@shop.example' },
] as const;

const ORDERS = [
  { id: 10, userId: 1, total: 42 },
  { id: 11, userId: 2, total: 7 },
];

/** Token settings shared by the upstream (which issues) and the gateway config (which verifies). */
export const TOKEN = { issuer: 'https://shop.example', audience: 'shop' } as const;

const MAX_BODY = 65_536;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-powered-by': 'Express' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) return {};
    chunks.push(c);
  }
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>; } catch { return {}; }
}

/**
 * Starts a deliberately vulnerable shop API (OWASP API Top 10 style): its login tells a wrong
 * password (401 invalid_password) from an unknown user (404 no_such_user), so it enumerates users
 * (API2); it does not limit guesses (API4); it checks no roles on /admin/users (API5) and no owner
 * on /users/{id} and /orders/{id} (API1); it leaks password fields (API3). The gateway in front of it
 * (portcullis.yaml) closes each. Tokens it issues put the role in a `role` claim, like many IdPs.
 *
 * @example
 * const up = await startVulnerableUpstream('a-shared-secret-of-at-least-32-bytes!!');
 */
export async function startVulnerableUpstream(secret: string, port = 0): Promise<VulnerableUpstream> {
  const key = new TextEncoder().encode(secret);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    seen.push(`${req.method} ${url.pathname}`);
    void (async () => {
      if (req.method === 'POST' && url.pathname === '/login') {
        const body = await readJson(req);
        const user = USERS.find((u) => u.username === body.username);
        if (user === undefined) return send(res, 404, { error: 'no_such_user' });
        if (user.password !== body.password) return send(res, 401, { error: 'invalid_password' });
        const token = await new SignJWT({ role: user.role }).setProtectedHeader({ alg: 'HS256' }).setSubject(String(user.id))
          .setIssuer(TOKEN.issuer).setAudience(TOKEN.audience).setIssuedAt().setExpirationTime('10m').sign(key);
        return send(res, 200, { token });
      }
      const user = /^\/users\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && user !== null) {
        const u = USERS.find((x) => x.id === Number(user[1]));
        return u === undefined ? send(res, 404, { error: 'not_found' }) : send(res, 200, u);
      }
      const order = /^\/orders\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && order !== null) {
        const o = ORDERS.find((x) => x.id === Number(order[1]));
        return o === undefined ? send(res, 404, { error: 'not_found' }) : send(res, 200, o);
      }
      if (req.method === 'GET' && url.pathname === '/admin/users') return send(res, 200, USERS);
      return send(res, 404, { error: 'not_found' });
    })().catch(() => { if (!res.headersSent) send(res, 500, { error: 'internal', stack: 'Error at shop.js:1' }); });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
