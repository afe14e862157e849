import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createTestCa, type TestCa } from '../fixtures/authn-keys/pki.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { REDIS_URL, removeRunKeysAfter } from '../helpers/redis.js';
import { startVaultStub, type VaultStub } from '../helpers/vault.js';

/** The third party's contract: the gateway refuses any response outside it. */
const PARTNER_DOC = `openapi: 3.0.3
info: { title: partner, version: '1' }
servers: [{ url: 'https://api.partner.test/v1' }]
paths:
  /rates:
    get:
      responses:
        '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Rate' } } } }
  /changed:
    get:
      responses:
        '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Rate' } } } }
  /wrongtype:
    get:
      responses:
        '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Rate' } } } }
  /teapot:
    get:
      responses:
        '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/Rate' } } } }
components:
  schemas:
    Rate: { type: object, required: [rate], properties: { rate: { type: number } } }
`;

/** Where the `hops` integration's provider redirects each path to (a provider that may be compromised). */
const HOPS = (port: number): Record<string, string> => ({
  '/hop/same': '/hop/landed',
  '/hop/other-origin': `http://b.hops.test:${port}/hop/landed`,
  '/hop/rebound': `http://lo2.hops.test:${port}/hop/landed`,
  '/hop/meta': `http://meta.hops.test:${port}/latest/meta-data/`,
  '/hop/decimal': `http://2852039166:${port}/latest/meta-data/?token=provider-secret`,
  '/hop/octal': `http://0177.0.0.2:${port}/hop/landed`,
  '/hop/loop': '/hop/loop',
  '/hop/userinfo': `http://user:pw@b.hops.test:${port}/hop/landed`,
  '/hop/post': '/hop/landed',
});

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; json: Record<string, unknown> }

/** One request to the egress listener with a raw request target (absolute-form or a named route). */
function proxyRequest(egress: URL, target: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: egress.hostname, port: egress.port, method: opts.method ?? 'GET', path: target, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(body) as Record<string, unknown>; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** CONNECT through the egress listener: the status line, and the open socket when it is 200. */
function connectTunnel(egress: URL, authority: string): Promise<{ status: number; socket: import('node:net').Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: egress.hostname, port: egress.port, method: 'CONNECT', path: authority, agent: false });
    // Node emits 'connect' for every answer to CONNECT; a refusal's body follows on the socket.
    req.on('connect', (res, socket, head) => {
      if (res.statusCode === 200) { resolve({ status: 200, socket, body: '' }); return; }
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve({ status: res.statusCode ?? 0, socket, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('egress gateway: applications reach third parties only as the integrations allow', () => {
  let ca: TestCa;
  let partner: https.Server;
  let partnerPort: number;
  const partnerSeen: { url: string; authorization: string | undefined }[] = [];
  let plain: FakeUpstream;
  let gw: GatewayProcess;
  let egress: URL;
  let dir: string;
  let down: number;
  /** Closed until the budget test opens it: a third party that fails, then recovers. */
  let later: number;

  before(async () => {
    ca = createTestCa('partner');
    const cert = ca.issue('api', { san: 'DNS:api.partner.test', serverAuth: true });
    partner = https.createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (req, res) => {
      partnerSeen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const bodies: Record<string, string> = {
        '/v1/rates': '{"rate":1.2}',
        '/v1/changed': '{"rate":1.2,"internalNote":"a changed provider adds data"}',
        '/v1/wrongtype': '{"rate":"1.2; DROP TABLE"}',
      };
      if (req.url === '/v1/teapot') { res.writeHead(418, { 'content-type': 'text/plain' }); res.end('teapot'); return; }
      if (req.url === '/v1/downgrade') { res.writeHead(302, { location: `http://plain.partner.test:${plain.port}/v1/x` }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(bodies[req.url ?? ''] ?? '{}');
    });
    await new Promise<void>((r) => partner.listen(0, '127.0.0.1', r));
    partnerPort = (partner.address() as AddressInfo).port;

    plain = await startUpstream((req, res, body) => {
      if (req.url === '/redirect/out') { res.writeHead(302, { location: `http://meta.partner.test:${plain.port}/v1/x` }); res.end(); return; }
      if (req.url === '/redirect/in') { res.writeHead(302, { location: '/v1/landed' }); res.end(); return; }
      const hop = HOPS(plain.port)[req.url ?? ''];
      if (hop !== undefined) { res.writeHead(302, { location: hop, 'content-type': 'text/plain' }); res.end('moved'); return; }
      if (req.url === '/v1/big') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ pad: 'x'.repeat(5000) })); return; }
      if (req.url === '/v1/slow') return; // never answers: the gateway's headers timeout must
      if (req.url === '/v1/html') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<script>alert(1)</script>'); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, method: req.method, bodyLength: body.length }));
    });
    down = await closedPort();
    later = await closedPort();

    const yaml = `${E2E_PREAMBLE}apis:
  - name: unused
    upstream: ${plain.url}
    prefixes: [/unused]
egress:
  host: 127.0.0.1
  port: 0
  maxBodySize: 4096
  resolve:
    slow.partner.test: [127.0.0.1]
    api.partner.test: [127.0.0.1]
    plain.partner.test: [127.0.0.1]
    limited.partner.test: [127.0.0.1]
    down.partner.test: [127.0.0.1]
    guarded.partner.test: [127.0.0.1]
    meta.partner.test: [169.254.169.254]
    rebind.partner.test: [93.184.216.34, 127.0.0.1]
    ula.partner.test: ['fd00:ec2::254']
    a.hops.test: [127.0.0.1]
    b.hops.test: [127.0.0.1]
    lo2.hops.test: [127.0.0.2]
    meta.hops.test: [169.254.169.254]
  integrations:
    - name: rates
      hosts: [api.partner.test]
      ports: [${partnerPort}]
      upstream: https://api.partner.test:${partnerPort}/v1
      connect: true
      methods: [GET]
      paths: [/v1]
      bearerToken: \${PARTNER_TOKEN}
      openapi: ./partner.yaml
      upstreamTls:
        ca: ./partner-ca.crt
      addressGuard:
        allow: [127.0.0.1/32]
    - name: plain
      hosts: [plain.partner.test]
      ports: [${plain.port}]
      methods: [GET, POST]
      paths: [/v1, /redirect]
      headers:
        x-api-key: \${file:./partner-key.txt}
      maxRedirects: 2
      response:
        maxBodyBytes: 1000
        contentTypes: [application/json]
      addressGuard:
        allow: [127.0.0.1/32]
    - name: limited
      hosts: [limited.partner.test]
      ports: [${plain.port}]
      rateLimit:
        requests: 2
        windowMs: 600000
      addressGuard:
        allow: [127.0.0.1/32]
    - name: down
      hosts: [down.partner.test]
      ports: [${down}]
      circuitBreaker:
        failureThreshold: 2
        cooldownMs: 600000
      addressGuard:
        allow: [127.0.0.1/32]
    - name: guarded
      hosts: [guarded.partner.test]
      ports: [${later}]
      methods: [GET, POST]
      connect: true
      rateLimit:
        requests: 2
        windowMs: 600000
      circuitBreaker:
        failureThreshold: 1
        cooldownMs: 1500
      addressGuard:
        allow: [127.0.0.1/32]
    - name: slow
      hosts: [slow.partner.test]
      ports: [${plain.port}]
      timeouts:
        headersMs: 500
      addressGuard:
        allow: [127.0.0.1/32]
    - name: untrusted
      hosts: [api.partner.test]
      ports: [${partnerPort}]
      upstream: https://api.partner.test:${partnerPort}/v1
      addressGuard:
        allow: [127.0.0.1/32]
    - name: open
      hosts: ['*']
      ports: [${plain.port}]
      connect: true
    - name: hops
      hosts: ['*.hops.test', 169.254.169.254, 127.0.0.2]
      ports: [${plain.port}]
      upstream: http://a.hops.test:${plain.port}
      methods: [GET, POST]
      paths: [/hop, /latest]
      headers:
        x-api-key: hops-injected-key
      maxRedirects: 2
      addressGuard:
        allow: [127.0.0.1/32]
    - name: securehops
      hosts: [api.partner.test, plain.partner.test]
      ports: [${partnerPort}, ${plain.port}]
      upstream: https://api.partner.test:${partnerPort}/v1
      paths: [/v1]
      maxRedirects: 2
      upstreamTls:
        ca: ./partner-ca.crt
      addressGuard:
        allow: [127.0.0.1/32]
`;
    const written = writeConfig(yaml, { 'partner.yaml': PARTNER_DOC, 'partner-key.txt': 'k-partner-secret\n' });
    dir = written.dir;
    copyFileSync(ca.cert, join(dir, 'partner-ca.crt'));
    gw = await startGatewayProcess(written.file, { env: { PARTNER_TOKEN: 'tok-partner-secret' } });
    const listening = await gw.waitForLog((l) => l.msg === 'portcullis listening');
    egress = new URL(String(listening.egress));
  });
  after(async () => {
    await gw?.stop();
    await plain?.close();
    await new Promise<void>((r) => { partner?.closeAllConnections(); partner?.close(() => r()); });
  });

  const eventFor = (a: Answer) => gw.waitForLog((l) => l.msg === 'security event' && l.reqId === a.headers['x-request-id']);

  test('named route: the gateway calls the third party over TLS with the injected token; the application\'s own is dropped', async () => {
    const a = await proxyRequest(egress, '/egress/rates/rates', { headers: { authorization: 'Bearer app-chosen' } });
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(a.json, { rate: 1.2 });
    const seen = partnerSeen.at(-1)!;
    assert.equal(seen.url, '/v1/rates');
    assert.equal(seen.authorization, 'Bearer tok-partner-secret');
  });

  test('attack: a changed provider adds an undeclared field: 502 PCL_EGRESS_RESPONSE_REJECTED, nothing of it reaches the application', async () => {
    const a = await proxyRequest(egress, '/egress/rates/changed');
    assert.equal(a.status, 502);
    assert.equal(a.json.code, 'PCL_EGRESS_RESPONSE_REJECTED');
    assert.doesNotMatch(a.body, /internalNote|changed provider/);
    const e = await eventFor(a);
    assert.deepEqual([e.event, e.reason, e.severity, e.api], ['egress.refused', 'response_rejected', 'high', 'egress:rates']);
  });

  test('response checks: a wrong type and an undeclared status are withheld (502)', async () => {
    for (const p of ['wrongtype', 'teapot']) {
      const a = await proxyRequest(egress, `/egress/rates/${p}`);
      assert.equal(a.status, 502, p);
      assert.equal(a.json.code, 'PCL_EGRESS_RESPONSE_REJECTED', p);
    }
  });

  test('an operation the third party does not document, another method, a dot-segment path: 403, nothing sent', async () => {
    const before = partnerSeen.length;
    const undocumented = await proxyRequest(egress, '/egress/rates/admin');
    assert.deepEqual([undocumented.status, undocumented.json.code], [403, 'PCL_EGRESS_PATH_NOT_ALLOWED']);
    const post = await proxyRequest(egress, '/egress/rates/rates', { method: 'POST', body: '{}' , headers: { 'content-type': 'application/json' } });
    assert.deepEqual([post.status, post.json.code], [403, 'PCL_EGRESS_METHOD_NOT_ALLOWED']);
    for (const p of ['/egress/rates/%2e%2e/admin', '/egress/rates/x/../../admin', '/egress/rates/a%2fb']) {
      const a = await proxyRequest(egress, p);
      assert.deepEqual([a.status, a.json.code], [403, 'PCL_EGRESS_PATH_NOT_ALLOWED'], p);
    }
    assert.equal((await eventFor(await proxyRequest(egress, '/egress/rates/%2e%2e/admin'))).reason, 'path_traversal');
    const unknown = await proxyRequest(egress, '/egress/nope/x');
    assert.deepEqual([unknown.status, unknown.json.code], [404, 'PCL_EGRESS_INTEGRATION_NOT_FOUND']);
    assert.equal(partnerSeen.length, before);
  });

  test('absolute-form over the same TLS integration (https://...) is checked and credentialed alike', async () => {
    const a = await proxyRequest(egress, `https://api.partner.test:${partnerPort}/v1/rates`, { headers: { host: `api.partner.test:${partnerPort}` } });
    assert.equal(a.status, 200, a.body);
    assert.equal(partnerSeen.at(-1)!.authorization, 'Bearer tok-partner-secret');
  });

  test('absolute-form http: allowed host, port and path are forwarded with the key from a file', async () => {
    const before = plain.seen.length;
    const a = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/v1/items?q=1`, { headers: { host: `plain.partner.test:${plain.port}`, 'x-api-key': 'app-chosen', 'proxy-authorization': 'Basic eA==' } });
    assert.equal(a.status, 200, a.body);
    const seen = plain.seen[before]!;
    assert.equal(seen.url, '/v1/items?q=1');
    assert.equal(seen.headers['x-api-key'], 'k-partner-secret');
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers.host, `plain.partner.test:${plain.port}`);
    const post = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/v1/items`, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.json.bodyLength, 3);
  });

  test('hosts, ports and paths outside the integrations: 403 PCL_EGRESS_HOST_NOT_ALLOWED / PATH_NOT_ALLOWED', async () => {
    const before = plain.seen.length;
    const cases: [string, string][] = [
      ['http://evil.example/', 'PCL_EGRESS_HOST_NOT_ALLOWED'],
      [`http://plain.partner.test:${plain.port + 1 === 65536 ? 1 : plain.port + 1}/v1/x`, 'PCL_EGRESS_HOST_NOT_ALLOWED'],
      ['http://plain.partner.test.evil.example/v1/x', 'PCL_EGRESS_HOST_NOT_ALLOWED'],
      [`http://plain.partner.test:${plain.port}/v10/x`, 'PCL_EGRESS_PATH_NOT_ALLOWED'],
      [`http://plain.partner.test:${plain.port}/admin`, 'PCL_EGRESS_PATH_NOT_ALLOWED'],
    ];
    for (const [target, code] of cases) {
      const a = await proxyRequest(egress, target);
      // evil.example has no integration, so the '*' one (port ${plain.port} only) does not match port 80 either.
      assert.deepEqual([a.status, a.json.code], [403, code], target);
    }
    assert.equal(plain.seen.length, before);
  });

  test('attack: loopback in disguise (decimal, octal, hex, IPv4-mapped IPv6), cloud metadata, private, link-local, multicast, unspecified: 403 PCL_EGRESS_ADDRESS_REFUSED, nothing sent', async () => {
    const before = plain.seen.length;
    const p = plain.port;
    for (const target of [`http://2130706433:${p}/`, `http://0177.0.0.1:${p}/`, `http://0x7f.0.0.1:${p}/`, `http://127.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`, `http://[::1]:${p}/`, `http://169.254.169.254:${p}/latest/meta-data/`, `http://[fd00:ec2::254]:${p}/`, `http://0.0.0.0:${p}/`,
      // private, link-local, multicast, unspecified IPv6 and an IPv4 address inside NAT64
      `http://10.0.0.1:${p}/`, `http://172.16.0.1:${p}/`, `http://192.168.1.1:${p}/`, `http://169.254.1.1:${p}/`, `http://[fe80::1]:${p}/`,
      `http://224.0.0.251:${p}/`, `http://[ff02::1]:${p}/`, `http://[::]:${p}/`, `http://[64:ff9b::a9fe:a9fe]:${p}/`]) {
      const a = await proxyRequest(egress, target);
      assert.deepEqual([a.status, a.json.code], [403, 'PCL_EGRESS_ADDRESS_REFUSED'], target);
      assert.doesNotMatch(a.body, /loopback|169\.254|127\.0\.0\.1/, 'the application does not learn how the address was judged');
    }
    assert.equal(plain.seen.length, before);
    const e = await eventFor(await proxyRequest(egress, `http://2130706433:${p}/`));
    assert.deepEqual([e.event, e.reason, e.severity], ['egress.refused', 'address_refused', 'high']);
  });

  test('attack: names that resolve to metadata, a ULA metadata address, or public + loopback (rebinding): refused after resolution', async () => {
    const before = plain.seen.length;
    for (const name of ['meta.partner.test', 'ula.partner.test', 'rebind.partner.test']) {
      const a = await proxyRequest(egress, `http://${name}:${plain.port}/x`);
      assert.deepEqual([a.status, a.json.code], [403, 'PCL_EGRESS_ADDRESS_REFUSED'], name);
    }
    assert.equal(plain.seen.length, before);
  });

  test('redirects are followed only within the integration, each hop checked again', async () => {
    const inside = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/redirect/in`);
    assert.equal(inside.status, 200, inside.body);
    assert.equal(inside.json.url, '/v1/landed');
    const out = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/redirect/out`);
    assert.deepEqual([out.status, out.json.code], [502, 'PCL_EGRESS_REDIRECT_REFUSED']);
  });

  test('redirects to the same origin keep the credentials; to another origin they carry neither the integration\'s nor the application\'s', async () => {
    const app = { authorization: 'Bearer app-own', cookie: 'session=app-own' };
    const same = await proxyRequest(egress, '/egress/hops/hop/same', { headers: app });
    assert.equal(same.status, 200, same.body);
    const landed = plain.seen.at(-1)!;
    assert.deepEqual([landed.url, landed.headers['x-api-key'], landed.headers.authorization], ['/hop/landed', 'hops-injected-key', 'Bearer app-own']);
    const other = await proxyRequest(egress, '/egress/hops/hop/other-origin', { headers: app });
    assert.equal(other.status, 200, other.body);
    const moved = plain.seen.at(-1)!;
    assert.equal(moved.headers.host, `b.hops.test:${plain.port}`);
    assert.deepEqual([moved.headers['x-api-key'], moved.headers.authorization, moved.headers.cookie], [undefined, undefined, undefined]);
  });

  test('attack: a provider redirects into the network; every hop goes through the address guard again (literal spellings and DNS answers)', async () => {
    const before = plain.seen.length;
    for (const p of ['/hop/rebound', '/hop/meta', '/hop/decimal', '/hop/octal']) {
      const a = await proxyRequest(egress, `/egress/hops${p}`);
      assert.deepEqual([a.status, a.json.code], [403, 'PCL_EGRESS_ADDRESS_REFUSED'], p);
      assert.doesNotMatch(a.body, /169\.254|127\.0\.0|2852039166/, 'the application does not learn where the hop pointed');
    }
    assert.equal(plain.seen.length, before + 4, 'only the redirecting requests reached a server');
    const e = await eventFor(await proxyRequest(egress, '/egress/hops/hop/decimal'));
    assert.deepEqual([e.event, e.reason, e.severity], ['egress.refused', 'redirect_refused', 'high']);
    assert.match(String(e.excerpt), /^address_refused: http:\/\/2852039166:\d+\/latest\/meta-data\/$/, 'the excerpt says where the hop pointed, without the query');
  });

  test('redirects are bounded (maxRedirects), userinfo and https-to-http hops are refused, and only GET/HEAD are followed', async () => {
    const before = plain.seen.length;
    const loop = await proxyRequest(egress, '/egress/hops/hop/loop');
    assert.deepEqual([loop.status, loop.json.code], [502, 'PCL_EGRESS_REDIRECT_REFUSED']);
    assert.equal(plain.seen.length, before + 3, 'the first request and two followed hops, then refused');
    const userinfo = await proxyRequest(egress, '/egress/hops/hop/userinfo');
    assert.deepEqual([userinfo.status, userinfo.json.code], [502, 'PCL_EGRESS_REDIRECT_REFUSED']);
    const afterHops = plain.seen.length;
    const down = await proxyRequest(egress, '/egress/securehops/downgrade');
    assert.deepEqual([down.status, down.json.code], [502, 'PCL_EGRESS_REDIRECT_REFUSED']);
    assert.equal(plain.seen.length, afterHops, 'nothing was sent in plain text');
    const post = await proxyRequest(egress, '/egress/hops/hop/post', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.status, 302, 'a POST redirect goes back to the application, whose next request is checked on its own');
    assert.equal(post.headers.location, '/hop/landed');
    assert.equal(plain.seen.at(-1)!.url, '/hop/post');
  });

  test('response size and content type bounds: 502 PCL_EGRESS_RESPONSE_REJECTED', async () => {
    for (const p of ['/v1/big', '/v1/html']) {
      const a = await proxyRequest(egress, `http://plain.partner.test:${plain.port}${p}`);
      assert.deepEqual([a.status, a.json.code], [502, 'PCL_EGRESS_RESPONSE_REJECTED'], p);
      assert.doesNotMatch(a.body, /xxxx|<script>/);
    }
  });

  test('rate limit per integration: the third request in the window gets 429 with Retry-After', async () => {
    const t = `http://limited.partner.test:${plain.port}/`;
    assert.equal((await proxyRequest(egress, t)).status, 200);
    assert.equal((await proxyRequest(egress, t)).status, 200);
    const third = await proxyRequest(egress, t);
    assert.deepEqual([third.status, third.json.code], [429, 'PCL_EGRESS_RATE_LIMITED']);
    assert.ok(Number(third.headers['retry-after']) >= 1);
  });

  test('circuit breaker: after two failed connections the third request is refused at once (503)', async () => {
    const t = `http://down.partner.test:${down}/`;
    assert.deepEqual([(await proxyRequest(egress, t)).json.code, (await proxyRequest(egress, t)).json.code], ['PCL_UPSTREAM_UNAVAILABLE', 'PCL_UPSTREAM_UNAVAILABLE']);
    const third = await proxyRequest(egress, t);
    assert.deepEqual([third.status, third.json.code], [503, 'PCL_UPSTREAM_CIRCUIT_OPEN']);
  });

  test('the budget is spent only by requests sent: oversized bodies and an open circuit refuse without taking from it', async () => {
    const t = `http://guarded.partner.test:${later}/v1/x`;
    for (let i = 0; i < 3; i++) {
      const big = await proxyRequest(egress, t, { method: 'POST', body: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
      assert.deepEqual([big.status, big.json.code], [413, 'PCL_BODY_TOO_LARGE'], `oversized body ${i + 1}`);
    }
    // Sent, and failed: one unit of two spent, and the circuit opens (threshold 1).
    assert.equal((await proxyRequest(egress, t)).json.code, 'PCL_UPSTREAM_UNAVAILABLE');
    for (let i = 0; i < 4; i++) {
      const open = await proxyRequest(egress, t);
      assert.deepEqual([open.status, open.json.code], [503, 'PCL_UPSTREAM_CIRCUIT_OPEN'], `open circuit ${i + 1}`);
      const tunnel = await connectTunnel(egress, `guarded.partner.test:${later}`);
      assert.deepEqual([tunnel.status, (JSON.parse(tunnel.body) as { code: string }).code], [503, 'PCL_UPSTREAM_CIRCUIT_OPEN'], `CONNECT, open circuit ${i + 1}`);
    }
    // The third party recovers: after the cooldown exactly one unit is left for it.
    const recovered = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
    await new Promise<void>((r) => recovered.listen(later, '127.0.0.1', r));
    try {
      await new Promise((r) => setTimeout(r, 1600));
      const trial = await proxyRequest(egress, t);
      assert.equal(trial.status, 200, trial.body);
      const spent = await proxyRequest(egress, t);
      assert.deepEqual([spent.status, spent.json.code], [429, 'PCL_EGRESS_RATE_LIMITED']);
    } finally {
      await new Promise<void>((r) => { recovered.closeAllConnections(); recovered.close(() => r()); });
    }
  });

  test('CONNECT: a tunnel to an allowed host:port carries end-to-end TLS (no credential injection possible)', async () => {
    const t = await connectTunnel(egress, `api.partner.test:${partnerPort}`);
    assert.equal(t.status, 200);
    const secure = tls.connect({ socket: t.socket, servername: 'api.partner.test', ca: readFileSync(ca.cert) });
    await new Promise<void>((r, j) => { secure.once('secureConnect', r); secure.once('error', j); });
    secure.write('GET /v1/rates HTTP/1.1\r\nHost: api.partner.test\r\nConnection: close\r\n\r\n');
    let text = '';
    for await (const c of secure) text += (c as Buffer).toString();
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.match(text, /\{"rate":1\.2\}/);
    assert.equal(partnerSeen.at(-1)!.authorization, undefined, 'inside a tunnel the gateway adds nothing');
  });

  test('CONNECT refused: integration without connect, disguised loopback, metadata name, malformed target', async () => {
    const cases: [string, number, string][] = [
      [`down.partner.test:${down}`, 403, 'PCL_EGRESS_HOST_NOT_ALLOWED'],
      [`0177.0.0.1:${plain.port}`, 403, 'PCL_EGRESS_ADDRESS_REFUSED'],
      [`[::ffff:127.0.0.1]:${plain.port}`, 403, 'PCL_EGRESS_ADDRESS_REFUSED'],
      [`meta.partner.test:${plain.port}`, 403, 'PCL_EGRESS_ADDRESS_REFUSED'],
      ['api.partner.test', 400, 'PCL_EGRESS_BAD_TARGET'],
    ];
    for (const [authority, status, code] of cases) {
      const t = await connectTunnel(egress, authority);
      assert.equal(t.status, status, authority);
      assert.equal((JSON.parse(t.body) as { code: string }).code, code, authority);
    }
  });

  test('a body over egress.maxBodySize: 413; a provider that never answers: 504; a certificate the integration does not trust: 502', async () => {
    const big = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/v1/items`, { method: 'POST', body: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
    assert.deepEqual([big.status, big.json.code], [413, 'PCL_BODY_TOO_LARGE']);
    const slow = await proxyRequest(egress, `http://slow.partner.test:${plain.port}/v1/slow`);
    assert.deepEqual([slow.status, slow.json.code], [504, 'PCL_UPSTREAM_TIMEOUT']);
    const before = partnerSeen.length;
    const untrusted = await proxyRequest(egress, '/egress/untrusted/rates');
    assert.deepEqual([untrusted.status, untrusted.json.code], [502, 'PCL_UPSTREAM_TLS_FAILED']);
    assert.equal(partnerSeen.length, before);
  });

  test('a WebSocket handshake is refused with 501 problem+json and an egress.refused event; nothing reaches the provider, h2c is still ignored', async () => {
    const before = plain.seen.length;
    const handshake = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    for (const [target, api] of [[`http://plain.partner.test:${plain.port}/v1/socket`, 'egress:plain'], ['/egress/hops/hop/socket', 'egress:hops']] as const) {
      const a = await proxyRequest(egress, target, { headers: handshake });
      assert.deepEqual([a.status, a.json.code, a.headers['content-type']], [501, 'PCL_METHOD_NOT_IMPLEMENTED', 'application/problem+json'], target);
      assert.equal(a.headers.upgrade, undefined, target);
      const e = await eventFor(a);
      assert.deepEqual([e.event, e.reason, e.api], ['egress.refused', 'upgrade_not_supported', api], target);
    }
    assert.equal(plain.seen.length, before, 'the handshake never went out as a plain GET');
    const h2c = await proxyRequest(egress, `http://plain.partner.test:${plain.port}/v1/items`, { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA' } });
    assert.equal(h2c.status, 200, h2c.body);
    assert.equal(plain.seen.at(-1)!.headers.upgrade, undefined, 'the optional upgrade is dropped as hop-by-hop');
  });

  test('targets that are not a proxy request: 400 PCL_EGRESS_BAD_TARGET', async () => {
    for (const target of ['/not-egress', `http://user@plain.partner.test:${plain.port}/v1/x`]) {
      const a = await proxyRequest(egress, target);
      assert.deepEqual([a.status, a.json.code], [400, 'PCL_EGRESS_BAD_TARGET'], target);
    }
  });

  test('the injected secrets never appear in the gateway log', () => {
    const all = JSON.stringify(gw.logs) + gw.stderr();
    assert.doesNotMatch(all, /tok-partner-secret|k-partner-secret/);
  });
});

describe('egress across instances: one budget in the shared store, credentials from the keyring rotated by a reload', () => {
  const RUN = randomUUID();
  removeRunKeysAfter(RUN);
  let up: FakeUpstream;
  let vault: VaultStub;
  const gws: GatewayProcess[] = [];
  const egressOf: URL[] = [];
  before(async () => {
    up = await startUpstream();
    vault = await startVaultStub();
    vault.put('partner/quota', { token: 'vault-secret-v1' });
    const { file } = writeConfig(`${E2E_PREAMBLE}store:
  backend: redis
  redisUrl: ${REDIS_URL}
  keyPrefix: "pcl-e2e:${RUN}:egress:"
keyring:
  vault: { address: ${vault.url}, token: "\${VAULT_TOKEN}" }
apis:
  - name: unused
    upstream: ${up.url}
    prefixes: [/unused]
egress:
  port: 0
  resolve:
    quota.partner.test: [127.0.0.1]
  integrations:
    - name: quota
      hosts: [quota.partner.test]
      ports: [${up.port}]
      upstream: http://quota.partner.test:${up.port}/v1
      bearerToken: \${vault:partner/quota#token}
      rateLimit:
        requests: 4
        windowMs: 3600000
      addressGuard:
        allow: [127.0.0.1/32]
`);
    for (let i = 0; i < 2; i++) {
      const gw = await startGatewayProcess(file, { env: { VAULT_TOKEN: vault.token } });
      gws.push(gw);
      egressOf.push(new URL(String((await gw.waitForLog((l) => l.msg === 'portcullis listening')).egress)));
    }
  });
  after(async () => { await Promise.all(gws.map((g) => g.stop())); await up?.close(); await vault?.close(); });

  test('the credential comes from Vault; after a rotation and a reload the new one goes out; no log holds either', async () => {
    const [a, b] = egressOf as [URL, URL];
    assert.equal((await proxyRequest(a, '/egress/quota/x', { headers: { authorization: 'Bearer app-chosen' } })).status, 200);
    assert.equal(up.seen.at(-1)!.headers.authorization, 'Bearer vault-secret-v1');
    vault.put('partner/quota', { token: 'vault-secret-v2' });
    const gw = gws[0]!;
    const outcome = (l: Record<string, unknown>) => l.msg === 'config reloaded' || l.msg === 'config reload failed';
    const count = gw.logs.filter(outcome).length;
    gw.child.kill('SIGHUP');
    for (let i = 0; i < 300 && gw.logs.filter(outcome).length === count; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(gw.logs.filter(outcome).at(-1)?.msg, 'config reloaded', gw.stderr());
    assert.equal((await proxyRequest(a, '/egress/quota/x')).status, 200);
    assert.equal(up.seen.at(-1)!.headers.authorization, 'Bearer vault-secret-v2', 'the reload read the new version');
    assert.equal((await proxyRequest(b, '/egress/quota/x')).status, 200);
    assert.equal(up.seen.at(-1)!.headers.authorization, 'Bearer vault-secret-v1', 'the other instance keeps its own until its reload');
    for (const g of gws) assert.doesNotMatch(JSON.stringify(g.logs) + g.stderr(), /vault-secret-v/);
  });

  test('the integration\'s budget is one across instances on Redis, and a reload does not reset it: the fourth call through either is the last', async () => {
    const [a, b] = egressOf as [URL, URL];
    // Three calls went out above (two through a, across its reload, one through b); the budget is four.
    assert.equal((await proxyRequest(b, '/egress/quota/x')).status, 200);
    for (const e of [a, b]) {
      const r = await proxyRequest(e, '/egress/quota/x');
      assert.deepEqual([r.status, r.json.code], [429, 'PCL_EGRESS_RATE_LIMITED']);
      assert.ok(Number(r.headers['retry-after']) >= 1);
      assert.doesNotMatch(r.body, /vault-secret/);
    }
    assert.equal(up.seen.filter((r) => r.url === '/v1/x').length, 4);
  });
});

describe('egress listener: clients outside allowClients are refused', () => {
  let gw: GatewayProcess;
  let egress: URL;
  before(async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: unused
    upstream: http://127.0.0.1:1
    prefixes: [/unused]
egress:
  port: 0
  allowClients: [10.0.0.0/8]
  integrations:
    - name: any
      hosts: ['*']
      connect: true
`);
    gw = await startGatewayProcess(file);
    egress = new URL(String((await gw.waitForLog((l) => l.msg === 'portcullis listening')).egress));
  });
  after(async () => { await gw?.stop(); });

  test('proxy requests and CONNECT from 127.0.0.1: 403 PCL_EGRESS_CLIENT_NOT_ALLOWED', async () => {
    const a = await proxyRequest(egress, 'http://example.com/');
    assert.deepEqual([a.status, a.json.code], [403, 'PCL_EGRESS_CLIENT_NOT_ALLOWED']);
    const t = await connectTunnel(egress, 'example.com:443');
    assert.deepEqual([t.status, (JSON.parse(t.body) as { code: string }).code], [403, 'PCL_EGRESS_CLIENT_NOT_ALLOWED']);
    const e = await gw.waitForLog((l) => l.msg === 'security event' && l.reqId === a.headers['x-request-id']);
    assert.deepEqual([e.event, e.reason], ['egress.refused', 'client_not_allowed']);
  });
});

describe('egress config errors are reported with file:line', () => {
  test('the shipped example validates', async () => {
    const r = await runCli(['validate', '-c', join(REPO_ROOT, 'examples', 'egress', 'portcullis.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('bad egress blocks: each problem located', async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: a
    upstream: http://127.0.0.1:1
    prefixes: [/a]
egress:
  port: 0
  resolve:
    x.test: [not-an-ip]
  integrations:
    - name: one
      hosts: [api.partner.test]
      upstream: https://other.test/v1
      bearerToken: t
      headers:
        authorization: Basic x
    - name: one
      hosts: ['*']
      upstream: http://2130706433/
      addressGuard:
        allow: [10.0.0.0/33]
    - name: two
      hosts: [a.test]
      upstream: https://a.test:8443/
      openapi: ./missing.yaml
      bogus: 1
`);
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const expected = [
      /portcullis\.yaml:\d+ egress\.resolve\["x\.test"\]\[0\]: "not-an-ip" is not an IP address/,
      /portcullis\.yaml:\d+ egress\.integrations\[0\]\.upstream: host other\.test is not covered by hosts/,
      /portcullis\.yaml:\d+ egress\.integrations\[2\]\.upstream: port 8443 is not in ports \(80, 443\)/,
      /portcullis\.yaml:\d+ egress\.integrations\[0\]\.bearerToken: give either bearerToken or headers\.authorization/,
      /portcullis\.yaml:\d+ egress\.integrations\[1\]\.name: duplicate integration name "one"/,
      /portcullis\.yaml:\d+ egress\.integrations\[1\]\.upstream: upstream address 127\.0\.0\.1 is loopback/,
      /portcullis\.yaml:\d+ egress\.integrations\[1\]\.addressGuard\.allow: "10\.0\.0\.0\/33" has an invalid prefix length/,
      /portcullis\.yaml:\d+ egress\.integrations\[2\]\.openapi: .*missing\.yaml: file not found/,
      /portcullis\.yaml:\d+ egress\.integrations\[2\]\.bogus: unknown key "bogus"/,
    ];
    for (const re of expected) assert.match(r.stderr, re);
    // The line is the entry's own line: the duplicate name is written on line 16 of the egress block.
    const line = (re: RegExp) => Number(/yaml:(\d+)/.exec(r.stderr.split('\n').find((l) => re.test(l))!)![1]);
    const text = readFileSync(file, 'utf8').split('\n');
    assert.equal(text[line(/duplicate integration name/) - 1]!.trim(), '- name: one');
    assert.match(text[line(/not covered by hosts/) - 1]!, /upstream: https:\/\/other\.test/);
  });
});

/**
 * Loaded into the gateway process (`--import`): `dns.lookup` for `flip.pcl.test` alternates between
 * 127.0.0.1 (allowed for the integration) and 127.0.0.2 (loopback, refused), the answer pattern of
 * a DNS rebinding attack; every other name resolves normally. No /etc/hosts, no DNS server.
 */
const FLIPPING_RESOLVER = `import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
const real = dns.lookup;
let calls = 0;
dns.lookup = function (host, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (host !== 'flip.pcl.test') return real.call(this, host, options, callback);
  calls += 1;
  const address = calls % 2 === 1 ? '127.0.0.1' : '127.0.0.2';
  process.nextTick(() => (options && options.all) ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4));
};
syncBuiltinESMExports();
`;

describe('egress: DNS rebinding against a pinned connection (the lookup function injected into the gateway)', () => {
  let up: http.Server;
  let trap: http.Server;
  let port: number;
  let served = 0;
  let trapped = 0;
  let gw: GatewayProcess;
  let egress: URL;
  before(async () => {
    // Every answer closes its connection, so each request opens a new one and resolves again.
    up = http.createServer((_req, res) => { served += 1; res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }); res.end('{"ok":true}'); });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    port = (up.address() as AddressInfo).port;
    // What a check-then-resolve-again proxy would reach: the same port on the address the second answer names.
    trap = http.createServer((_req, res) => { trapped += 1; res.end('internal'); });
    await new Promise<void>((r) => trap.listen(port, '127.0.0.2', r));
    const { file, dir } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: unused
    upstream: http://127.0.0.1:1
    prefixes: [/unused]
egress:
  port: 0
  integrations:
    - name: flip
      hosts: [flip.pcl.test]
      ports: [${port}]
      addressGuard:
        allow: [127.0.0.1/32]
`, { 'flip-resolver.mjs': FLIPPING_RESOLVER });
    gw = await startGatewayProcess(file, { env: { NODE_OPTIONS: `--import ${join(dir, 'flip-resolver.mjs')}` } });
    egress = new URL(String((await gw.waitForLog((l) => l.msg === 'portcullis listening')).egress));
  });
  after(async () => {
    await gw?.stop();
    await new Promise<void>((r) => { up?.closeAllConnections(); up?.close(() => r()); });
    await new Promise<void>((r) => { trap?.closeAllConnections(); trap?.close(() => r()); });
  });

  test('attack: each connection is checked against its own answer and goes to exactly that address; the rebound address is never reached', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await proxyRequest(egress, `http://flip.pcl.test:${port}/x`);
      outcomes.push(a.status === 200 ? 'ok' : String(a.json.code));
    }
    assert.equal(trapped, 0, 'no request reached the address of the other answer');
    assert.ok(outcomes.includes('ok') && outcomes.includes('PCL_EGRESS_ADDRESS_REFUSED'), outcomes.join(' '));
    assert.ok(outcomes.every((o) => o === 'ok' || o === 'PCL_EGRESS_ADDRESS_REFUSED'), outcomes.join(' '));
    assert.equal(served, outcomes.filter((o) => o === 'ok').length);
  });
});
