import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { Value } from '@sinclair/typebox/value';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import type { Principal, RequestContext, ResponseContext } from '../../pipeline/context.js';
import { compileRequestKey } from '../../pipeline/request-key.js';
import type { Decision, RequestHandler, Stage } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/memory.js';
import type { KeyValueStore } from '../../store/store.js';
import { AnomalySchema, type AnomalyConfig } from './schema.js';
import { createAnomalyStage } from './stage.js';

let now = Date.UTC(2026, 0, 5, 12);
let n = 0;

function stage(raw: Record<string, unknown>, store: KeyValueStore): Stage {
  const config = Value.Default(AnomalySchema, structuredClone(raw)) as AnomalyConfig;
  assert.ok(Value.Check(AnomalySchema, config));
  // No compileCache: each stage has an engine of its own, as two gateway instances would.
  return createAnomalyStage(config, { apiName: 'books', operationId: 'op', baseDir: '.', store }, { now: () => now });
}

function ctx(op: string, ip: string, principal?: Partial<Principal>): RequestContext {
  return {
    id: `r${++n}`, startedAt: 0n, method: 'GET', path: `/v1/${op}`, query: '', headers: {},
    client: { ip, peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'books', operationId: op, pathTemplate: `/v1/${op}`, tags: [], params: {} },
    principal: principal === undefined ? undefined : { id: 'alice', kind: 'jwt', scopes: [], roles: [], claims: {}, ...principal },
    body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

const response = (status: number): ResponseContext => ({ status, headers: {}, body: undefined, generated: false });
const limit = (s: Stage, c: RequestContext): Promise<Decision> => Promise.resolve((s.handlers.limit as RequestHandler)(c));
const record = (s: Stage, c: RequestContext, status: number): void => { void s.handlers.record!(c, response(status)); };
const codeOf = (d: Decision): string => (d.kind === 'reject' ? d.error.code : d.kind);
const byIp = compileRequestKey(['ip'], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId' });

interface Stored { seen: number; cur: { e4: number }; act?: { kind: string; until: number } }
/** The record phase writes after the response, with no promise to wait on: waits until the stored state shows it. */
async function stored(store: KeyValueStore, ip: string, pred: (s: Stored) => boolean): Promise<Stored> {
  const key = `anomaly:books:${byIp.of(ctx('x', ip))!}`;
  for (let i = 0; i < 500; i++) {
    const text = await store.get(key);
    if (text !== undefined && pred(JSON.parse(text) as Stored)) return JSON.parse(text) as Stored;
    await new Promise((r) => setImmediate(r));
  }
  return assert.fail(`the stored state never showed it: ${await store.get(key)}`);
}

function capture(): { events: SecurityEventMessage[]; stop(): void } {
  const events: SecurityEventMessage[] = [];
  const on = (m: unknown) => { events.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
  return { events, stop: () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on) };
}

const probingBlock = { window: '1h', detectors: { probing: { minErrors: 4, minOperations: 2, action: 'block', duration: '5m' } } };

test('block stands for its duration, then lifts by itself', async () => {
  const store = new MemoryStore();
  const s = stage(probingBlock, store);
  const ip = '198.51.100.1';
  for (const op of ['a', 'b', 'a', 'b']) {
    const c = ctx(op, ip);
    assert.equal(codeOf(await limit(s, c)), 'continue');
    record(s, c, 404);
  }
  const st = await stored(store, ip, (x) => x.act !== undefined);
  assert.equal(st.act!.until, now + 300_000);
  const refused = await limit(s, ctx('a', ip));
  assert.equal(codeOf(refused), 'PCL_ANOMALY_BLOCKED');
  assert.equal(refused.kind === 'reject' ? refused.error.headers?.['retry-after'] : undefined, '300');
  now += 299_000;
  assert.equal(codeOf(await limit(s, ctx('a', ip))), 'PCL_ANOMALY_BLOCKED', 'still within the duration');
  now += 1_000;
  assert.equal(codeOf(await limit(s, ctx('a', ip))), 'continue', 'the duration is over');
});

test('step-up stands against the client; a request whose one-time code the authn stage verified passes', async () => {
  const store = new MemoryStore();
  const s = stage({ window: '1h', detectors: { probing: { minErrors: 4, minOperations: 2, action: 'step-up', duration: '10m' } } }, store);
  const ip = '198.51.100.2';
  for (const op of ['a', 'b', 'a', 'b']) {
    const c = ctx(op, ip);
    await limit(s, c);
    record(s, c, 403);
  }
  await stored(store, ip, (x) => x.act?.kind === 'step-up');
  const refused = await limit(s, ctx('a', ip));
  assert.equal(codeOf(refused), 'PCL_ANOMALY_STEP_UP_REQUIRED');
  assert.match(String(refused.kind === 'reject' ? refused.error.headers?.['www-authenticate'] : ''), /^OTP realm="books", header="X-Portcullis-OTP"/);
  assert.equal(codeOf(await limit(s, ctx('a', ip, { claims: { stepUp: 'totp' } }))), 'continue');
  now += 600_000;
  assert.equal(codeOf(await limit(s, ctx('a', ip))), 'continue');
});

test('two instances on one store: a burst neither sees whole is detected when one merges into the other\'s write, once, and the block stands for both', async () => {
  const store = new MemoryStore();
  const a = stage(probingBlock, store);
  const b = stage(probingBlock, store);
  const ip = '198.51.100.3';
  const cap = capture();
  try {
    // Both read the (absent) state before either writes; each then counts two 4xx (below 4).
    const cs = [ctx('a', ip), ctx('b', ip), ctx('a', ip), ctx('b', ip)];
    const inst = [a, b, a, b];
    for (const [i, c] of cs.entries()) assert.equal(codeOf(await limit(inst[i]!, c)), 'continue');
    for (const [i, c] of cs.entries()) record(inst[i]!, c, 404);
    const st = await stored(store, ip, (x) => x.seen === 4);
    assert.equal(st.cur.e4, 4, 'neither instance\'s write overwrote the other\'s counts');
    assert.equal(st.act?.kind, 'block');
    const probing = cap.events.filter((e) => e.reason === 'probing' && e.api === 'books' && e.client === ip);
    assert.equal(probing.length, 1);
    assert.match(probing[0]!.excerpt ?? '', /^4xx burst: 4 client errors across 2 operations/);
  } finally {
    cap.stop();
  }
  for (const s of [a, b]) assert.equal(codeOf(await limit(s, ctx('a', ip))), 'PCL_ANOMALY_BLOCKED');
});
