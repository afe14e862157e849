import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { deadPort, startHangingServer, startWebhookReceiver, waitFor } from '../../../test/helpers/siem.js';
import { publishSecurityEvent, type SecurityEventInput, type SecurityEventMessage } from '../channels.js';
import { otlpLogsRequest } from './otlp.js';
import { SinksSchema, type SinksConfig } from './schema.js';
import { startSinks } from './service.js';
import { signBody } from './sign.js';

const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers) await c(); });

const ev = (i: number, over: Partial<SecurityEventInput> = {}): SecurityEventInput => ({
  kind: 'authn.failure', reason: 'expired', requestId: `r-${i}`, api: 'books', operationId: 'listBooks', client: '192.0.2.1', severity: 'medium', ...over,
});
const sinks = (c: Partial<SinksConfig>): SinksConfig => Value.Default(SinksSchema, structuredClone(c)) as SinksConfig;

test('webhook batches are signed over timestamp.body and verified by the receiver', async () => {
  const rx = await startWebhookReceiver('s3cret');
  closers.push(rx.close);
  const s = startSinks(sinks({ webhook: [{ name: 'hook', url: rx.url, secret: 's3cret', flushIntervalMs: 5, kinds: ['authn*'] } as never] }), { baseDir: '/', version: 't' });
  closers.push(() => s.close());
  for (let i = 0; i < 5; i++) publishSecurityEvent(() => ev(i));
  publishSecurityEvent(() => ev(99, { kind: 'ratelimit.exceeded' }));
  await waitFor(() => rx.received.flatMap((r) => (r.body as { events: unknown[] }).events).length === 5);
  const all = rx.received.flatMap((r) => (r.body as { events: SecurityEventMessage[] }).events);
  assert.deepEqual(all.map((e) => e.requestId), ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
  assert.ok(all.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time))));
  assert.ok(rx.received.every((r) => r.signatureValid));
  assert.equal(rx.refused, 0);
});

test('attack: a receiver refuses a wrong secret and a replayed (stale) timestamp', async () => {
  const rx = await startWebhookReceiver('right');
  closers.push(rx.close);
  const body = '{"events":[]}';
  const post = (ts: number, secret: string) => fetch(rx.url, { method: 'POST', body, headers: { 'x-portcullis-timestamp': String(ts), 'x-portcullis-signature': signBody(secret, ts, body) } });
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await post(now, 'wrong')).status, 401);
  assert.equal((await post(now - 3600, 'right')).status, 401);
  assert.equal((await post(now, 'right')).status, 204);
  // The signature covers the timestamp: moving it forward breaks the signature.
  const sig = signBody('right', now - 3600, body);
  assert.equal((await fetch(rx.url, { method: 'POST', body, headers: { 'x-portcullis-timestamp': String(now), 'x-portcullis-signature': sig } })).status, 401);
});

test('a webhook that is down and one that hangs: publishing never waits, failures are counted in the metrics', async () => {
  const hang = await startHangingServer();
  closers.push(hang.close);
  const registry = new Registry();
  const s = startSinks(sinks({ webhook: [
    { name: 'down', url: `http://127.0.0.1:${await deadPort()}/`, maxRetries: 1, backoffMs: 1, flushIntervalMs: 1 } as never,
    { name: 'hangs', url: `http://127.0.0.1:${hang.port}/`, maxRetries: 0, timeoutMs: 100, flushIntervalMs: 1, queueLimit: 50, batchSize: 10 } as never,
  ] }), { baseDir: '/', version: 't', registry });
  closers.push(() => s.close(10));
  for (let i = 0; i < 200; i++) publishSecurityEvent(() => ev(i));
  await waitFor(() => s.stats()['down']!.droppedFailed === 200, 10_000, 'down drops');
  await waitFor(() => s.stats()['hangs']!.droppedFailed > 0, 10_000, 'hang drops');
  const text = await registry.metrics();
  assert.match(text, /^portcullis_sink_events_total\{sink="down",outcome="dropped_failed"\} 200$/m);
  assert.match(text, /^portcullis_sink_events_total\{sink="hangs",outcome="dropped_overflow"\} 150$/m);
  assert.match(text, /^portcullis_sink_retries_total\{sink="down"\} [1-9]/m);
});

test('OTLP logs: an ExportLogsServiceRequest in JSON to /v1/logs', async () => {
  const got: { url: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => { got.push({ url: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> }); res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const s = startSinks(sinks({ otlp: [{ name: 'otel', endpoint, flushIntervalMs: 5, headers: { 'x-api-key': 'k' } } as never] }), { baseDir: '/', version: '9.9.9' });
  closers.push(() => s.close());
  publishSecurityEvent(() => ev(1, { principal: 'alice', ruleIds: ['r1'], enforced: true, time: '2026-03-01T00:00:00.001Z' }));
  await waitFor(() => got.length === 1);
  assert.equal(got[0]!.url, '/v1/logs');
  assert.deepEqual(got[0]!.body, otlpLogsRequest([{ ...ev(1, { principal: 'alice', ruleIds: ['r1'], enforced: true }), time: '2026-03-01T00:00:00.001Z' } as SecurityEventMessage], 'portcullis', '9.9.9'));
  const rec = (got[0]!.body as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] }).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(rec['timeUnixNano'], '1772323200001000000');
  assert.equal(rec['severityNumber'], 13);
});

test('sink names must be unique', () => {
  assert.throws(() => startSinks(sinks({ file: [{ name: 'x', path: '/tmp/a' } as never], webhook: [{ name: 'x', url: 'http://127.0.0.1:1/' } as never] }), { baseDir: '/', version: 't' }), /"x" is used twice/);
});
