import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../../test/helpers/gateway.js';
import { findPackageRoot } from '../../src/util/package-root.js';
import { startVulnerableUpstream, type VulnerableUpstream } from './upstream.js';

// The vulnerable shop (upstream.ts) behind the gateway with this folder's portcullis.yaml (ports 0,
// upstream moved to the test's instance). Each `it` is one OWASP API Top 10 exploit and the
// legitimate flow next to it. Every attack's response is kept in `attacks` with its request id,
// so a later check can find each refusal in the gateway's event stream.

const dir = join(findPackageRoot(import.meta.url), 'examples', 'vulnerable-api');
const SECRET = 'vulnerable-api-e2e-secret-at-least-32-bytes';

/** One attack request and what the gateway answered. */
export interface AttackRecord { readonly name: string; readonly status: number; readonly requestId: string; readonly code: string | undefined }

describe('vulnerable API behind the gateway', () => {
  let up: VulnerableUpstream;
  let gw: GatewayProcess;
  const attacks: AttackRecord[] = [];
  let eventsFile = '';

  before(async () => {
    up = await startVulnerableUpstream(SECRET);
    const cfg = parse(readFileSync(join(dir, 'portcullis.yaml'), 'utf8')) as {
      server: Record<string, unknown>; admin: Record<string, unknown>; watch?: boolean; logging?: Record<string, unknown>; apis: Record<string, unknown>[];
    };
    cfg.server = { port: 0, host: '127.0.0.1' };
    cfg.admin = { port: 0, host: '127.0.0.1' };
    cfg.watch = false;
    cfg.logging = { level: 'info' };
    // The operator's record (OWASP API10): every refusal as an event in a JSON-lines file.
    (cfg as Record<string, unknown>).sinks = { file: [{ name: 'events', path: './events.jsonl', flushIntervalMs: 200 }] };
    cfg.apis[0]!.upstream = `http://127.0.0.1:${up.port}`;
    cfg.apis[0]!.openapi = join(dir, 'openapi.yaml');
    const written = writeConfig(stringify(cfg));
    eventsFile = join(written.dir, 'events.jsonl');
    gw = await startGatewayProcess(written.file, { env: { JWT_SECRET: SECRET }, timeoutMs: 60_000 });
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
  });

  /** Sends a request; an attack's answer is recorded in `attacks`. */
  async function send(path: string, init: RequestInit & { attack?: string } = {}): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
    const res = await fetch(`${gw.url}${path}`, init);
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    if (init.attack !== undefined) attacks.push({ name: init.attack, status: res.status, requestId: res.headers.get('x-request-id') ?? '', code: typeof body.code === 'string' ? body.code : undefined });
    return { status: res.status, body, text, headers: res.headers };
  }
  const login = (username: string, password: string, attack?: string) => send('/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }), ...(attack !== undefined ? { attack } : {}),
  });
  // One login per user: the per-username limit counts every attempt, good ones too.
  const tokens = new Map<string, string>();
  const tokenOf = async (username: string, password: string): Promise<string> => {
    const cached = tokens.get(username);
    if (cached !== undefined) return cached;
    const r = await login(username, password);
    assert.equal(r.status, 200, r.text);
    tokens.set(username, r.body.token as string);
    return r.body.token as string;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('API2 user enumeration: unknown user and wrong password get the same 401 (a response rule, not a 502)', async () => {
    const unknown = await login('mallory', 'x', 'enumerate-unknown-user');
    const wrong = await login('bob', 'x', 'enumerate-wrong-password');
    for (const r of [unknown, wrong]) {
      assert.equal(r.status, 401, r.text);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.body.code, 'PCL_AUTHN_INVALID');
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    assert.deepEqual(strip(unknown.body), strip(wrong.body), 'nothing tells the two apart');
    assert.equal(unknown.text.length, wrong.text.length);
    assert.ok(up.seen.includes('POST /login'), 'the upstream answered; the gateway rewrote it');
    assert.ok((await tokenOf('bob', 'builder')).length > 0, 'a good login still works');
  });

  it('API4 password guessing: a per-username limit from config, whatever the client address or case', async () => {
    const statuses: number[] = [];
    for (const [i, name] of ['alice', 'Alice', ' ALICE'].entries()) {
      statuses.push((await send('/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` }, body: JSON.stringify({ username: name, password: `guess${i}` }), attack: `guess-alice-${i}` })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401]);
    const limited = await login('alice', 'wonderland', 'guess-alice-4');
    assert.equal(limited.status, 429, 'the fourth attempt in the window is refused, even with the right password');
    assert.equal(limited.body.code, 'PCL_RATE_LIMITED');
    assert.ok(limited.headers.get('retry-after') !== null);
    assert.equal((await login('root', 'wrong', 'guess-root')).status, 401, 'other accounts are not affected');
  });

  it('API5 function-level authorization: `security: [{ bearerAuth: [admin] }]` satisfied by the token\'s `role` claim', async () => {
    const user = await tokenOf('bob', 'builder');
    const refused = await send('/admin/users', { headers: bearer(user), attack: 'admin-as-user' });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.code, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
    assert.ok(!up.seen.includes('GET /admin/users'), 'never reached the upstream');
    const admin = await tokenOf('root', 'toor');
    const ok = await send('/admin/users', { headers: bearer(admin) });
    assert.equal(ok.status, 200, ok.text);
    const users = ok.body as unknown as Record<string, unknown>[];
    assert.equal(users.length, 3);
    assert.ok(users.every((u) => !('password' in u)), 'API3: undeclared password fields are removed');
  });

  it('API1 object-level authorization: own records only (ids compared with int(principal.id))', async () => {
    const bob = await tokenOf('bob', 'builder');
    assert.equal((await send('/users/2', { headers: bearer(bob) })).status, 200);
    assert.equal((await send('/users/1', { headers: bearer(bob), attack: 'read-other-user' })).status, 403);
    assert.equal((await send('/orders/11', { headers: bearer(bob) })).status, 200);
    const other = await send('/orders/10', { headers: bearer(bob), attack: 'read-other-order' });
    assert.equal(other.status, 403);
    assert.equal(other.body.code, 'PCL_AUTHZ_DENIED');
  });

  it('every attack was refused and carries a request id', () => {
    assert.ok(attacks.length >= 8);
    for (const a of attacks) {
      assert.ok(a.status >= 400 && a.status < 500, `${a.name}: ${a.status}`);
      assert.match(a.requestId, /\S/, a.name);
    }
  });

  it('API10: every attack can be reconstructed from the event file alone, by its request id, with method, path and status', async () => {
    // Unauthenticated probes and undocumented routes too, not only the stage refusals above.
    await send('/admin/debug', { attack: 'undocumented-route' });
    await send('/users/1', { method: 'DELETE', attack: 'undocumented-method' });
    await send('/users/1', { attack: 'no-token' });
    const deadline = Date.now() + 5_000;
    let events: { requestId?: string; method?: string; path?: string; status?: number; code?: string; kind?: string; reason?: string }[] = [];
    const missing = () => attacks.filter((a) => !events.some((e) => e.requestId === a.requestId));
    while (Date.now() < deadline) {
      events = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as typeof events[number]) : [];
      if (missing().length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(missing().map((a) => a.name), [], 'attacks with no event in the file');
    for (const a of attacks) {
      const mine = events.filter((x) => x.requestId === a.requestId);
      // The status and code the client got, on the event itself: the operator needs nothing else.
      assert.ok(mine.some((e) => typeof e.method === 'string' && typeof e.path === 'string' && e.status === a.status && (a.code === undefined || e.code === a.code)),
        `${a.name} (${a.status} ${a.code ?? ''}): no event with method, path, status and code: ${JSON.stringify(mine)}`);
    }
    // The enumeration attempts were answered by the upstream and rewritten: the rule's event says which rule.
    for (const name of ['enumerate-unknown-user', 'enumerate-wrong-password']) {
      const id = attacks.find((a) => a.name === name)!.requestId;
      const rewritten = events.find((e) => e.requestId === id && e.kind === 'response.rewritten');
      assert.equal(rewritten?.reason, 'uniform-login-failure', `${name}: ${JSON.stringify(events.filter((e) => e.requestId === id))}`);
      assert.equal(rewritten?.status, 401);
    }
  });
});
