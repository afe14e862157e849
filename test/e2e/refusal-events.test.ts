import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { fixture } from '../helpers/paths.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

/** One line of the JSON-lines event sink. */
interface EventLine {
  kind: string; reason: string; requestId: string; api: string; operationId?: string; client: string; stage?: string;
  method?: string; path?: string; status?: number; code?: string; time: string;
}

const FLUSH_MS = 200;

function readEvents(file: string): EventLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as EventLine);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway in front of the books API (CORS, a 1000-byte body limit) and the shop API (response-filter), writing events to a JSON-lines file. */
function eventConfig(upstream: string, flushIntervalMs: number): { file: string; dir: string } {
  const books = readFileSync(fixture('e2e', 'books.yaml'), 'utf8');
  const shop = readFileSync(fixture('validation', 'shop-3.1.yaml'), 'utf8').replace('url: /v1', 'url: /v2');
  const yaml = E2E_PREAMBLE.replace('server:\n  port: 0\n', 'server:\n  port: 0\n  headersTimeoutMs: 700\n  requestTimeoutMs: 1200\n') + `sinks:
  file:
    - { name: jsonl, path: ./events/security.jsonl, flushIntervalMs: ${flushIntervalMs} }
apis:
  - name: books
    upstream: ${upstream}
    openapi: ./books.yaml
    limits: { maxBodySize: 1000 }
    cors: { allowOrigins: [https://app.example] }
  - name: shop
    upstream: ${upstream}
    openapi: ./shop.yaml
    stages:
      response-filter: { action: filter }
  - name: guarded
    upstream: ${upstream}
    openapi: ./guarded.yaml
    stages:
      authn:
        schemes:
          bearerAuth:
            kind: jwt
            issuers: [{ issuer: ${GUARD_ISS}, audiences: [guarded], algorithms: [HS256], secret: "${GUARD_SECRET}" }]
      authz:
        rules: [{ id: no-deletes, effect: deny, operations: [deleteThings], when: 'true' }]
      request-validation: {}
      rate-limit:
        limits: [{ name: tiny, limit: 3, window: 1h }]
`;
  return writeConfig(yaml, { 'books.yaml': books, 'shop.yaml': shop, 'guarded.yaml': GUARDED });
}

const GUARD_ISS = 'https://idp.refusals.test';
const GUARD_SECRET = 'refusal-events-secret-0123456789abcdef';
const GUARDED = `openapi: 3.0.3
info: { title: guarded, version: '1' }
servers: [{ url: /v3 }]
components: { securitySchemes: { bearerAuth: { type: http, scheme: bearer } } }
security: [{ bearerAuth: [] }]
paths:
  /things:
    get:
      operationId: listThings
      parameters: [{ name: limit, in: query, schema: { type: integer, maximum: 10 } }]
      responses: { '200': { description: ok } }
    delete:
      operationId: deleteThings
      responses: { '204': { description: gone } }
`;
const token = () => new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(GUARD_ISS).setAudience('guarded').setExpirationTime('5m')
  .sign(new TextEncoder().encode(GUARD_SECRET));
const bearer = async () => ({ authorization: `Bearer ${await token()}` });

/** Sends until the gateway answers `status` (a limit that trips after a few requests); returns that answer. */
async function until(status: number, send: () => Promise<{ id: string; status: number }>): Promise<{ id: string; status: number }> {
  for (let i = 0; i < 10; i += 1) {
    const r = await send();
    if (r.status === status) return r;
  }
  throw new Error(`never answered ${status}`);
}

/** The exploit list: one request per kind of refusal, each returning the request id the client saw. */
const ATTACKS: { name: string; kind: string; code?: string; status: number; send: (gw: GatewayProcess, port: number) => Promise<{ id: string; status: number }> }[] = [
  { name: 'undocumented route', kind: 'route.undocumented', code: 'PCL_ROUTE_NOT_FOUND', status: 404, send: (gw) => viaFetch(`${gw.url}/v1/admin/users?token=s3cr3t`) },
  { name: 'undocumented method', kind: 'route.undocumented', code: 'PCL_METHOD_NOT_ALLOWED', status: 405, send: (gw) => viaFetch(`${gw.url}/v1/books`, { method: 'PATCH' }) },
  { name: 'bad path', kind: 'http.refused', code: 'PCL_BAD_PATH', status: 400, send: (_gw, port) => viaRaw(port, 'GET /v1/books/a%2Fb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n') },
  { name: 'body too large', kind: 'http.refused', code: 'PCL_BODY_TOO_LARGE', status: 413, send: (gw) => viaFetch(`${gw.url}/v1/books`, { method: 'POST', body: 'x'.repeat(2000) }) },
  { name: 'head too large', kind: 'http.refused', code: 'PCL_HEADERS_TOO_LARGE', status: 431, send: (_gw, port) => viaRaw(port, `GET /v1/books HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`) },
  { name: 'slow head', kind: 'http.refused', code: 'PCL_REQUEST_TIMEOUT', status: 408, send: (_gw, port) => viaRaw(port, ['GET /v1/books HTTP/1.1\r\n'], 5000) },
  { name: 'slow body', kind: 'http.refused', code: 'PCL_REQUEST_TIMEOUT', status: 408, send: (_gw, port) => viaRaw(port, ['POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{'], 5000) },
  { name: 'smuggling CL+TE', kind: 'http.refused', code: 'PCL_REQUEST_SMUGGLING', status: 400, send: (_gw, port) => viaRaw(port, 'POST /v1/books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n') },
  { name: 'bad header', kind: 'http.refused', code: 'PCL_BAD_HEADER', status: 400, send: (_gw, port) => viaRaw(port, 'GET /v1/books HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n') },
  { name: 'two Host headers', kind: 'http.refused', code: 'PCL_BAD_HEADER', status: 400, send: (_gw, port) => viaRaw(port, 'GET /v1/books HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n') },
  { name: 'CONNECT', kind: 'http.refused', code: 'PCL_METHOD_NOT_IMPLEMENTED', status: 501, send: (_gw, port) => viaRaw(port, 'CONNECT 10.0.0.1:22 HTTP/1.1\r\nHost: 10.0.0.1:22\r\n\r\n') },
  { name: 'CORS preflight from a foreign origin', kind: 'cors.rejected', code: 'PCL_CORS_REJECTED', status: 403, send: (gw) => viaFetch(`${gw.url}/v1/books`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }) },
  { name: 'response-filter removal', kind: 'response.filtered', status: 200, send: (gw) => viaFetch(`${gw.url}/v2/items/1`) },
  { name: 'contract 502 (undeclared upstream status)', kind: 'response.contract_violation', code: 'PCL_RESPONSE_CONTRACT_VIOLATION', status: 502, send: (gw) => viaFetch(`${gw.url}/v2/items/404`) },
  { name: 'login failure answered by the upstream', kind: 'upstream.denied', status: 401, send: (gw) => viaFetch(`${gw.url}/v1/books/401`) },
  { name: 'no credentials', kind: 'authn.failure', code: 'PCL_AUTHN_REQUIRED', status: 401, send: (gw) => viaFetch(`${gw.url}/v3/things`) },
  { name: 'forged token', kind: 'authn.failure', code: 'PCL_AUTHN_INVALID', status: 401, send: async (gw) => viaFetch(`${gw.url}/v3/things`, { headers: { authorization: `Bearer ${(await token()).slice(0, -4)}AAAA` } }) },
  { name: 'out-of-contract query', kind: 'validation.failed', code: 'PCL_VALIDATION_FAILED', status: 400, send: async (gw) => viaFetch(`${gw.url}/v3/things?limit=99999`, { headers: await bearer() }) },
  { name: 'denied operation', kind: 'authz.denied', code: 'PCL_AUTHZ_DENIED', status: 403, send: async (gw) => viaFetch(`${gw.url}/v3/things`, { method: 'DELETE', headers: await bearer() }) },
  { name: 'rate limit', kind: 'ratelimit.exceeded', code: 'PCL_RATE_LIMITED', status: 429, send: (gw) => until(429, async () => viaFetch(`${gw.url}/v3/things`, { headers: await bearer() })) },
];

async function viaFetch(url: string, init?: RequestInit): Promise<{ id: string; status: number }> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { id: res.headers.get('x-request-id') ?? '', status: res.status };
}

async function viaRaw(port: number, payload: string | string[], timeoutMs = 3000): Promise<{ id: string; status: number }> {
  const res = await rawRequest(port, payload, { timeoutMs });
  return { id: res.headers['x-request-id'] ?? '', status: res.status };
}

function upstreamResponder(): Parameters<typeof startUpstream>[0] {
  return (req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/401')) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_password"}');
    } else if (url.endsWith('/404')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"no such user"}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 1, name: 'lamp', password: 'hunter2' }));
    }
  };
}

describe('every refusal is a security event (OWASP API10), found in the JSON-lines sink by request id', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  let eventsFile: string;
  before(async () => {
    up = await startUpstream(upstreamResponder());
    const cfg = eventConfig(up.url, FLUSH_MS);
    eventsFile = join(cfg.dir, 'events', 'security.jsonl');
    gw = await startGatewayProcess(cfg.file);
    port = Number(new URL(gw.url).port);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('attack suite: each refusal is written to the event file within flushIntervalMs of its response, with method, path, status and code', async () => {
    const late: string[] = [];
    for (const attack of ATTACKS) {
      const { id, status } = await attack.send(gw, port);
      const answered = Date.now();
      assert.equal(status, attack.status, attack.name);
      assert.match(id, /.{8,}/, `${attack.name}: the response carries a request id`);
      let event: EventLine | undefined;
      while (event === undefined && Date.now() - answered < 10_000) {
        event = readEvents(eventsFile).find((e) => e.requestId === id && e.kind === attack.kind);
        if (event === undefined) await sleep(10);
      }
      assert.ok(event !== undefined, `${attack.name}: no event with request id ${id}`);
      // flushIntervalMs plus what file I/O on a loaded machine may add: only a stall exceeds it.
      if (Date.now() - answered > FLUSH_MS + 1000) late.push(`${attack.name}: ${Date.now() - answered} ms`);
      assert.equal(event.kind, attack.kind, attack.name);
      assert.equal(event.status, attack.status, attack.name);
      if (attack.code !== undefined) assert.equal(event.code, attack.code, attack.name);
      assert.equal(event.client, '127.0.0.1', attack.name);
      assert.equal(typeof event.method, 'string', attack.name);
      assert.equal(typeof event.path, 'string', attack.name);
      assert.equal(typeof event.stage, 'string', attack.name);
    }
    assert.deepEqual(late, []);

    const events = readEvents(eventsFile);
    const notFound = events.find((e) => e.code === 'PCL_ROUTE_NOT_FOUND')!;
    assert.equal(notFound.method, 'GET');
    assert.equal(notFound.path, '/v1/admin/users?token=[REDACTED]', 'the query is redacted by the access-log rules');
    assert.ok(!readFileSync(eventsFile, 'utf8').includes('s3cr3t'));
    const badHeader = events.find((e) => e.code === 'PCL_BAD_HEADER' && e.path === '/v1/books' && e.method === 'GET');
    assert.ok(badHeader !== undefined, 'a parser refusal carries the request line it refused');
    const upstreamDenied = events.find((e) => e.kind === 'upstream.denied')!;
    assert.equal(upstreamDenied.api, 'books');
    assert.equal(upstreamDenied.operationId, 'getBook');
    assert.equal(upstreamDenied.reason, 'status_401');
    const filtered = events.find((e) => e.kind === 'response.filtered')!;
    assert.equal(filtered.api, 'shop');
    assert.equal(filtered.operationId, 'getItem');
    const slowBody = events.find((e) => e.code === 'PCL_REQUEST_TIMEOUT' && e.method === 'POST')!;
    assert.equal(slowBody.operationId, 'createBook', 'a refusal mid-body is attributed to the routed operation');
  });
});

/** Ten card numbers (valid check digits): more than the leak guard's two. */
const CARDS = JSON.stringify({ cards: Array.from({ length: 10 }, () => '4111 1111 1111 1111') });

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'application/json', 'accept-language': 'en', 'accept-encoding': 'identity',
};

describe('exactly one event tells a stage\'s refusal: the stage\'s own, with the answer; no request.refused beside it', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let eventsFile: string;
  before(async () => {
    up = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/v1/books/leak' ? CARDS : '{"ok":true}');
    });
    const { file, dir } = writeConfig(`${E2E_PREAMBLE}sinks:
  file:
    - { name: jsonl, path: ./events/security.jsonl, flushIntervalMs: 50 }
keyring:
  keys:
    pii: { file: ./pii.key, length: 32 }
apis:
  - name: books
    upstream: ${up.url}
    openapi: ./books.yaml
    stages:
      bot:
        actions: [{ at: 50, action: "429" }]
        signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } }
      field-encryption: { key: pii, fields: [/ssn] }
      sensitive-data: { leakGuard: { maxHits: 2, action: block } }
`, { 'books.yaml': readFileSync(fixture('e2e', 'books.yaml'), 'utf8'), 'pii.key': randomBytes(32).toString('base64') });
    eventsFile = join(dir, 'events', 'security.jsonl');
    gw = await startGatewayProcess(file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('a bot step settled after authentication, a body field encryption refuses, a blocked bulk leak: one event each', async () => {
    const cases = [
      // Credentialed: the bot step waits for authentication, then refuses.
      { name: 'bot step after authentication', kind: 'bot.detected', status: 429, code: 'PCL_BOT_THROTTLED',
        send: () => viaFetch(`${gw.url}/v1/books`, { headers: { 'user-agent': 'python-requests/2.31', authorization: 'Bearer anything' } }) },
      { name: 'field encryption, body not JSON', kind: 'data.encrypt_refused', status: 400, code: 'PCL_FLE_BODY_INVALID',
        send: () => viaFetch(`${gw.url}/v1/books`, { method: 'POST', headers: { ...BROWSER, 'content-type': 'text/plain' }, body: 'ssn=123-45-6789' }) },
      { name: 'bulk leak blocked', kind: 'data.leak', status: 502, code: 'PCL_DATA_LEAK_BLOCKED',
        send: () => viaFetch(`${gw.url}/v1/books/leak`, { headers: BROWSER }) },
    ];
    const ids: string[] = [];
    for (const c of cases) {
      const { id, status } = await c.send();
      assert.equal(status, c.status, c.name);
      ids.push(id);
    }
    // The sink writes in order: once the marker's event is in the file, every event before it is.
    const marker = await viaFetch(`${gw.url}/v1/nowhere`, { headers: BROWSER });
    const deadline = Date.now() + 10_000;
    while (!readEvents(eventsFile).some((e) => e.requestId === marker.id) && Date.now() < deadline) await sleep(20);
    const events = readEvents(eventsFile);
    assert.ok(events.some((e) => e.requestId === marker.id), 'the marker event was written');
    cases.forEach((c, i) => {
      const mine = events.filter((e) => e.requestId === ids[i]);
      assert.deepEqual(mine.map((e) => [e.kind, e.status, e.code]), [[c.kind, c.status, c.code]], c.name);
    });
    assert.equal(up.seen.filter((r) => r.method === 'POST').length, 0, 'the refused body never reached the upstream');
  });
});

describe('no refusal event is lost at shutdown', () => {
  test('SIGTERM flushes events still queued for the file sink (flushIntervalMs far away)', async () => {
    const up = await startUpstream(upstreamResponder());
    const cfg = eventConfig(up.url, 60_000);
    const eventsFile = join(cfg.dir, 'events', 'security.jsonl');
    const gw = await startGatewayProcess(cfg.file);
    const port = Number(new URL(gw.url).port);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await viaFetch(`${gw.url}/v1/nowhere/${i}`)).id);
      ids.push((await viaRaw(port, 'GET /v1/books HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')).id);
      // A connection still sending its body when SIGTERM arrives (the drain answers it or cuts it).
      const lingering = net.connect(port, '127.0.0.1', () => lingering.write('POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n'));
      lingering.on('error', () => {});
      await sleep(100);
      assert.deepEqual(readEvents(eventsFile).filter((e) => ids.includes(e.requestId)), [], 'nothing flushed before shutdown');
      const code = await gw.stop();
      lingering.destroy();
      assert.equal(code, 0);
      const found = new Set(readEvents(eventsFile).map((e) => e.requestId));
      assert.deepEqual(ids.filter((id) => !found.has(id)), []);
    } finally {
      await gw.stop();
      await up.close();
    }
  });
});
