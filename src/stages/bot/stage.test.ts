import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingHttpHeaders } from 'node:http';
import { Value } from '@sinclair/typebox/value';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import type { Principal, RequestContext, ResponseContext } from '../../pipeline/context.js';
import type { Decision, RequestHandler, Stage } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/memory.js';
import type { KeyValueStore } from '../../store/store.js';
import { BotSchema, type BotConfig } from './schema.js';
import { createBotStage } from './stage.js';

const BROWSER: IncomingHttpHeaders = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'text/html', 'accept-language': 'en', 'accept-encoding': 'gzip',
};

function config(raw: Record<string, unknown>): BotConfig {
  const v = Value.Default(BotSchema, structuredClone(raw));
  assert.ok(Value.Check(BotSchema, v), JSON.stringify([...Value.Errors(BotSchema, v)].map((e) => `${e.path} ${e.message}`)));
  return v as BotConfig;
}

let now = 1_000_000;
const slept: number[] = [];
function stage(raw: Record<string, unknown>, opts: { store?: KeyValueStore; operationId?: string } = {}): Stage {
  return createBotStage(config(raw), { apiName: 'books', operationId: opts.operationId ?? 'getBook', baseDir: '.', store: opts.store ?? new MemoryStore() }, {
    sleep: async (ms) => { slept.push(ms); }, now: () => now,
  });
}

function ctx(opts: { ip?: string; headers?: IncomingHttpHeaders; principal?: Partial<Principal>; params?: Record<string, string>; body?: string; credentialed?: boolean } = {}): RequestContext {
  return {
    id: 'r1', startedAt: 0n, method: 'GET', path: '/v1/books/1', query: '', headers: opts.headers ?? BROWSER,
    client: { ip: opts.ip ?? '203.0.113.7', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'books', operationId: 'getBook', pathTemplate: '/v1/books/{bookId}', tags: [], params: opts.params ?? {} },
    principal: opts.principal === undefined ? undefined : { id: 'alice', kind: 'jwt', scopes: [], roles: [], claims: {}, ...opts.principal },
    body: opts.body === undefined ? undefined : Buffer.from(opts.body), findings: [], timings: {}, responseHeaders: {}, credentialed: opts.credentialed ?? false,
  };
}

const run = (s: Stage, c: RequestContext, phase: 'pre-auth' | 'limit' | 'inspect' = 'pre-auth'): Promise<Decision> => Promise.resolve((s.handlers[phase] as RequestHandler)(c));
const codeOf = (d: Decision): string => (d.kind === 'reject' ? d.error.code : d.kind);
const response = (status: number): ResponseContext => ({ status, headers: {}, body: undefined, generated: false });
const settle = () => new Promise((r) => setImmediate(r));

function capture(): { events: SecurityEventMessage[]; stop(): void } {
  const events: SecurityEventMessage[] = [];
  const on = (m: unknown) => { events.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
  return { events, stop: () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on) };
}

describe('bot stage: header signals', () => {
  test('an ordinary browser passes; an automation user agent is throttled with a bot.detected event', async () => {
    const s = stage({ actions: [{ at: 50, action: '429' }], signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    assert.equal(codeOf(await run(s, ctx())), 'continue');
    const cap = capture();
    try {
      const d = await run(s, ctx({ headers: { 'user-agent': 'python-requests/2.31' } }));
      assert.equal(codeOf(d), 'PCL_BOT_THROTTLED');
      assert.equal(d.kind === 'reject' && d.error.headers['retry-after'], '60');
      assert.equal(cap.events[0]?.kind, 'bot.detected');
      assert.equal(cap.events[0]?.stage, 'bot');
      assert.deepEqual(cap.events[0]?.ruleIds, ['automation-user-agent']);
    } finally { cap.stop(); }
    assert.equal(codeOf(await run(s, ctx({ headers: {} }))), 'PCL_BOT_THROTTLED', 'no User-Agent at all counts as automation');
  });

  test('headless markers and a browser without browser headers add up to a block', async () => {
    const s = stage({ actions: [{ at: 100, action: 'block' }], signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    const headless = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0 Safari/537.36' };
    assert.equal(codeOf(await run(s, ctx({ headers: headless }))), 'PCL_BOT_BLOCKED');
    assert.equal(codeOf(await run(s, ctx({ headers: { ...BROWSER, 'user-agent': 'Mozilla/5.0 HeadlessChrome' } }))), 'continue', 'headless alone (80) stays under 100');
    assert.equal(codeOf(await run(s, ctx({ headers: { ...BROWSER, 'sec-ch-ua': '"HeadlessChrome";v="126"' } }))), 'continue');
  });

  test('delay holds the request and then passes it', async () => {
    const s = stage({ actions: [{ at: 10, action: 'delay', delay: '2s' }], signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    slept.length = 0;
    assert.equal(codeOf(await run(s, ctx({ headers: { 'user-agent': 'curl/8.5.0' } }))), 'continue');
    assert.deepEqual(slept, [2000]);
  });

  test('allow-lists: CIDR and user agent skip scoring; an allow-listed principal or API key passes after authentication', async () => {
    const s = stage({ actions: [{ at: 10, action: 'block' }], allow: { cidrs: ['198.51.100.0/24'], userAgents: ['pingdom'], principals: ['monitor'], apiKeyIds: ['k-partner'] }, signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    const curl = { 'user-agent': 'curl/8.5.0' };
    assert.equal(codeOf(await run(s, ctx({ ip: '198.51.100.9', headers: curl }))), 'continue');
    assert.equal(codeOf(await run(s, ctx({ headers: { 'user-agent': 'Pingdom.com_bot_version_1.4' } }))), 'continue');
    // Credentialed: deferred to the limit phase, where the principal is known.
    const p = ctx({ headers: curl, credentialed: true, principal: { id: 'monitor' } });
    assert.equal(codeOf(await run(s, p)), 'continue');
    assert.equal(codeOf(await run(s, p, 'limit')), 'continue');
    const k = ctx({ headers: curl, credentialed: true, principal: { id: '', claims: { apiKeyId: 'k-partner' } } });
    assert.equal(codeOf(await run(s, k)), 'continue');
    assert.equal(codeOf(await run(s, k, 'limit')), 'continue');
    const other = ctx({ headers: curl, credentialed: true, principal: { id: 'mallory' } });
    assert.equal(codeOf(await run(s, other)), 'continue');
    assert.equal(codeOf(await run(s, other, 'limit')), 'PCL_BOT_BLOCKED');
  });

  test('a step settled after authentication is told once, by its own event with the answer; refused before it is settled, the detection is still told', async () => {
    const s = stage({ actions: [{ at: 10, action: 'block' }], signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    const curl = { 'user-agent': 'curl/8.5.0' };
    const cap = capture();
    try {
      const c = ctx({ headers: curl, credentialed: true, principal: { id: 'mallory' } });
      assert.equal(codeOf(await run(s, c)), 'continue');
      assert.equal(cap.events.length, 0, 'nothing is told before the step is settled');
      assert.equal(codeOf(await run(s, c, 'limit')), 'PCL_BOT_BLOCKED');
      s.handlers.record!(c, { status: 403, headers: {}, body: undefined, generated: true });
      assert.deepEqual(cap.events.map((e) => [e.kind, e.reason, e.status, e.code, e.principal]), [['bot.detected', 'automation-user-agent', 403, 'PCL_BOT_BLOCKED', 'mallory']]);
      // Authentication refused this one: the limit phase never ran, the record phase tells the detection.
      const early = ctx({ headers: curl, credentialed: true });
      assert.equal(codeOf(await run(s, early)), 'continue');
      s.handlers.record!(early, { status: 401, headers: {}, body: undefined, generated: true });
      s.handlers.record!(early, { status: 401, headers: {}, body: undefined, generated: true });
      assert.deepEqual(cap.events.slice(1).map((e) => [e.kind, e.status, e.code]), [['bot.detected', undefined, undefined]], 'told once, without an answer');
    } finally { cap.stop(); }
  });

  test('step-up answers 401 with the OTP challenge, and passes once authn verified a code', async () => {
    const s = stage({ actions: [{ at: 10, action: 'step-up' }], signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } } });
    const c = ctx({ headers: { 'user-agent': 'curl/8.5.0' } });
    assert.equal(codeOf(await run(s, c)), 'continue');
    const d = await run(s, c, 'limit');
    assert.equal(codeOf(d), 'PCL_BOT_STEP_UP_REQUIRED');
    assert.equal(d.kind === 'reject' && d.error.headers['www-authenticate'], 'OTP realm="books", header="X-Portcullis-OTP", error="step_up_required"');
    const ok = ctx({ headers: { 'user-agent': 'curl/8.5.0' }, principal: { claims: { stepUp: 'totp' } } });
    await run(s, ok);
    assert.equal(codeOf(await run(s, ok, 'limit')), 'continue');
  });
});

describe('bot stage: stateful signals', () => {
  test('a metronome cadence fires; human-like jitter does not', async () => {
    const s = stage({ actions: [{ at: 40, action: '429' }], signals: { automationUserAgent: { weight: 0 }, missingBrowserHeaders: { weight: 0 }, enumeration: { weight: 0 }, cadence: { minRequests: 5 } } });
    const decisions: string[] = [];
    for (let i = 0; i < 8; i++) { now += 1000; decisions.push(codeOf(await run(s, ctx({ ip: '192.0.2.1' })))); }
    assert.deepEqual(decisions, ['continue', 'continue', 'continue', 'continue', 'continue', 'PCL_BOT_THROTTLED', 'PCL_BOT_THROTTLED', 'PCL_BOT_THROTTLED']);
    const gaps = [300, 2500, 800, 4000, 1200, 200, 3000, 900, 1700];
    for (const g of gaps) { now += g; assert.equal(codeOf(await run(s, ctx({ ip: '192.0.2.2' }))), 'continue'); }
  });

  test('walking neighbouring object ids fires the enumeration signal; scattered ids do not', async () => {
    const s = stage({ actions: [{ at: 60, action: 'block' }], signals: { cadence: { weight: 0 }, enumeration: { threshold: 5 } } });
    const out: string[] = [];
    for (let id = 1000; id < 1007; id++) out.push(codeOf(await run(s, ctx({ ip: '192.0.2.3', params: { bookId: String(id) } }))));
    assert.deepEqual(out, ['continue', 'continue', 'continue', 'continue', 'PCL_BOT_BLOCKED', 'PCL_BOT_BLOCKED', 'PCL_BOT_BLOCKED']);
    for (const id of [5, 900, 33, 7000, 12, 4000, 61]) assert.equal(codeOf(await run(s, ctx({ ip: '192.0.2.4', params: { bookId: String(id) } }))), 'continue');
  });

  test('a failing store: fail-open keeps the header signals, fail-closed answers 503', async () => {
    const broken = new MemoryStore();
    broken.get = async () => { throw new Error('down'); };
    const open = stage({ actions: [{ at: 50, action: '429' }] }, { store: broken });
    const c = ctx();
    assert.equal(codeOf(await run(open, c)), 'continue');
    assert.equal(c.findings[0]?.code, 'PCL_BOT_UNAVAILABLE');
    assert.equal(codeOf(await run(open, ctx({ headers: { 'user-agent': 'curl/8' } }))), 'PCL_BOT_THROTTLED');
    const closed = stage({ onError: 'fail-closed' }, { store: broken });
    assert.equal(codeOf(await run(closed, ctx())), 'PCL_BOT_UNAVAILABLE');
  });
});

describe('bot stage: credential stuffing on login operations', () => {
  const loginCfg = (login: Record<string, unknown>) => ({ signals: { automationUserAgent: { weight: 0 }, cadence: { weight: 0 }, enumeration: { weight: 0 } }, login: { operations: ['login'], usernamePointer: '/username', ...login } });
  const attempt = async (s: Stage, ip: string, username: string, status: number): Promise<string> => {
    const c = ctx({ ip, body: JSON.stringify({ username, password: 'x' }), headers: { ...BROWSER, 'content-type': 'application/json' } });
    const d = await run(s, c, 'inspect');
    if (d.kind === 'continue') { s.handlers.record!(c, response(status)); await settle(); }
    return codeOf(d);
  };

  test('only login operations count, and they need the body', () => {
    assert.equal(stage(loginCfg({}), { operationId: 'getBook' }).handlers.inspect, undefined);
    const s = stage(loginCfg({}), { operationId: 'login' });
    assert.equal(typeof s.handlers.inspect, 'function');
    assert.equal(s.needsRequestBody, true);
  });

  test('failures per username escalate to step-up, and a success clears them', async () => {
    const cap = capture();
    try {
      const s = stage(loginCfg({ perUsername: [{ at: 3, action: 'delay', delay: '1s' }, { at: 5, action: 'step-up' }], perIp: [], perSubnet: [], distinctUsernamesPerIp: [] }), { operationId: 'login' });
      const out: string[] = [];
      // One account attacked from many addresses: per-IP counters never see it, the username counter does.
      for (let i = 0; i < 7; i++) out.push(await attempt(s, `198.18.${i}.1`, 'Alice', 401));
      assert.deepEqual(out, ['continue', 'continue', 'continue', 'continue', 'continue', 'PCL_BOT_STEP_UP_REQUIRED', 'PCL_BOT_STEP_UP_REQUIRED']);
      assert.ok(cap.events.some((e) => e.kind === 'credential-stuffing.detected' && e.reason === 'username' && e.stage === 'bot'));
      assert.equal(await attempt(s, '198.18.50.1', ' alice ', 401), 'PCL_BOT_STEP_UP_REQUIRED', 'the username is normalised');
      const other = stage(loginCfg({ perUsername: [{ at: 3, action: '429' }], perIp: [], perSubnet: [], distinctUsernamesPerIp: [] }), { operationId: 'login' });
      await attempt(other, '192.0.2.9', 'bob', 401);
      await attempt(other, '192.0.2.9', 'bob', 401);
      await attempt(other, '192.0.2.9', 'bob', 200);
      assert.equal(await attempt(other, '192.0.2.9', 'bob', 401), 'continue');
    } finally { cap.stop(); }
  });

  test('many usernames from one IP (stuffing) are refused; per-subnet counts across addresses', async () => {
    const s = stage(loginCfg({ perUsername: [], perIp: [], perSubnet: [], distinctUsernamesPerIp: [{ at: 4, action: 'block' }] }), { operationId: 'login' });
    const out: string[] = [];
    for (let i = 0; i < 6; i++) out.push(await attempt(s, '203.0.113.50', `user${i}`, 401));
    assert.deepEqual(out, ['continue', 'continue', 'continue', 'continue', 'PCL_BOT_BLOCKED', 'PCL_BOT_BLOCKED']);
    assert.equal(await attempt(s, '203.0.113.51', 'user9', 401), 'continue', 'another address of the subnet is not blocked by the per-IP counter');
    const net = stage(loginCfg({ perUsername: [], perIp: [], distinctUsernamesPerIp: [], perSubnet: [{ at: 3, action: '429' }] }), { operationId: 'login' });
    const seq: string[] = [];
    for (let i = 1; i <= 4; i++) seq.push(await attempt(net, `203.0.113.${i}`, 'x', 403));
    assert.deepEqual(seq, ['continue', 'continue', 'continue', 'PCL_BOT_THROTTLED']);
    assert.equal(await attempt(net, '203.0.114.1', 'x', 401), 'continue', 'another /24');
  });

  test('gateway-generated responses and non-failure statuses do not count', async () => {
    const s = stage(loginCfg({ perIp: [{ at: 1, action: 'block' }], perUsername: [], perSubnet: [], distinctUsernamesPerIp: [] }), { operationId: 'login' });
    const c = ctx({ ip: '192.0.2.77', body: '{"username":"z"}' });
    await run(s, c, 'inspect');
    s.handlers.record!(c, { status: 401, headers: {}, body: undefined, generated: true });
    await settle();
    assert.equal(await attempt(s, '192.0.2.77', 'z', 500), 'continue');
    assert.equal(await attempt(s, '192.0.2.77', 'z', 401), 'continue');
    assert.equal(await attempt(s, '192.0.2.77', 'z', 401), 'PCL_BOT_BLOCKED');
  });
});

describe('bot stage: login counters keyed by any request attribute (accountKey)', () => {
  const cfg = (accountKey: string[]) => ({ signals: { automationUserAgent: { weight: 0 }, cadence: { weight: 0 }, enumeration: { weight: 0 } }, login: { operations: ['login'], accountKey, perUsername: [{ at: 2, action: '429' }], perIp: [], perSubnet: [], distinctUsernamesPerIp: [] } });
  const attempt = async (s: Stage, ip: string, body: Record<string, string>, tenant: string): Promise<string> => {
    const c = ctx({ ip, body: JSON.stringify(body), headers: { ...BROWSER, 'content-type': 'application/json', 'x-tenant': tenant } });
    const d = await run(s, c, 'inspect');
    if (d.kind === 'continue') { s.handlers.record!(c, response(401)); await settle(); }
    return codeOf(d);
  };

  test('the account is a tenant header plus the e-mail in the body; the same e-mail in another tenant is another account', async () => {
    const s = stage(cfg(['header:x-tenant', 'body:/email']), { operationId: 'login' });
    assert.equal(s.needsRequestBody, true);
    const out: string[] = [];
    for (let i = 0; i < 3; i++) out.push(await attempt(s, `198.18.${i}.1`, { email: i === 1 ? 'A@X.test' : 'a@x.test', password: 'p' }, 'acme'));
    assert.deepEqual(out, ['continue', 'continue', 'PCL_BOT_THROTTLED']);
    assert.equal(await attempt(s, '198.18.9.1', { email: 'a@x.test', password: 'p' }, 'globex'), 'continue');
  });

  test('accountKey and usernamePointer together are a config error; allow-listed clients are marked for the rate limiter', async () => {
    assert.throws(() => stage({ login: { operations: ['login'], accountKey: ['body:/u'], usernamePointer: '/u' } }, { operationId: 'login' }), /keep one/);
    const s = stage({ allow: { cidrs: ['192.0.2.0/24'], principals: ['monitor'] } });
    const byNet = ctx({ ip: '192.0.2.10' });
    await run(s, byNet);
    assert.equal(byNet.allowListed, true);
    const byPrincipal = ctx({ ip: '203.0.113.1', principal: { id: 'monitor' } });
    await run(s, byPrincipal);
    assert.equal(byPrincipal.allowListed, undefined);
    await run(s, byPrincipal, 'limit');
    assert.equal(byPrincipal.allowListed, true);
    const other = ctx({ ip: '203.0.113.1', principal: { id: 'eve' } });
    await run(s, other);
    await run(s, other, 'limit');
    assert.equal(other.allowListed, undefined);
  });
});
