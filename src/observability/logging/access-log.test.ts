import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishRequestEnd, type RequestEndMessage } from '../channels.js';
import { subscribeAccessLog } from './access-log.js';
import { createLogger } from './logger.js';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
  return { logger, lines };
}

function message(over: Partial<RequestEndMessage> = {}): RequestEndMessage {
  return {
    requestId: 'req-1',
    method: 'GET',
    path: '/v1/books?access_token=s3cret&page=2',
    api: 'books',
    operationId: 'listBooks',
    status: 200,
    durationS: 0.0123456,
    upstreamS: 0.0101,
    bytesIn: 0,
    bytesOut: 42,
    client: '203.0.113.7',
    decision: 'allowed',
    code: undefined,
    stage: undefined,
    headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1', 'x-trace': 't-1', 'x-session': 'sess', 'user-agent': 'curl/8' },
    userAgent: 'curl/8',
    ...over,
  };
}

test('one JSON line per request, with the documented fields and the query redacted', (t) => {
  const { logger, lines } = capture();
  const stop = subscribeAccessLog(logger, { redact: [] });
  t.after(stop);
  publishRequestEnd(() => message());
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.equal(line.msg, 'request');
  assert.equal(line.level, 'info');
  assert.equal(line.reqId, 'req-1');
  assert.equal(line.path, '/v1/books?access_token=[REDACTED]&page=2');
  assert.equal(line.latencyMs, 12.346);
  assert.equal(line.upstreamMs, 10.1);
  assert.equal(line.status, 200);
  assert.equal(line.api, 'books');
  assert.equal(line.operationId, 'listBooks');
  assert.equal(line.client, '203.0.113.7');
  assert.equal(line.decision, 'allowed');
  assert.equal(line.ua, 'curl/8');
  assert.equal(line.bytesOut, 42);
  // No headers unless configured: the secret appears nowhere in the line.
  assert.equal(line.headers, undefined);
  assert.doesNotMatch(JSON.stringify(line), /abc\.def\.ghi|s3cret|sid=1/);
});

test('allow-listed headers are logged, credentials and configured names still redacted', (t) => {
  const { logger, lines } = capture();
  const stop = subscribeAccessLog(logger, { redact: ['x-session'], logHeaders: ['authorization', 'cookie', 'x-trace', 'x-session', 'x-absent'] });
  t.after(stop);
  publishRequestEnd(() => message());
  assert.deepEqual(lines[0]!.headers, { authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-trace': 't-1', 'x-session': '[REDACTED]' });
});

test('5xx lines are written at warn; rejections carry code and stage', (t) => {
  const { logger, lines } = capture('warn');
  const stop = subscribeAccessLog(logger, { redact: [] });
  t.after(stop);
  publishRequestEnd(() => message({ status: 403, decision: 'rejected', code: 'PCL_CORS_REJECTED', stage: 'cors' }));
  publishRequestEnd(() => message({ status: 502, decision: 'upstream-error', code: 'PCL_UPSTREAM_UNAVAILABLE', upstreamS: undefined }));
  assert.equal(lines.length, 1, 'the 403 line is info, below the configured level');
  assert.equal(lines[0]!.level, 'warn');
  assert.equal(lines[0]!.code, 'PCL_UPSTREAM_UNAVAILABLE');
  assert.equal('upstreamMs' in lines[0]!, false);
});

test('an attacker-sized path and user-agent are clipped', (t) => {
  const { logger, lines } = capture();
  const stop = subscribeAccessLog(logger, { redact: [] });
  t.after(stop);
  publishRequestEnd(() => message({ path: `/${'a'.repeat(10_000)}`, userAgent: 'u'.repeat(5_000) }));
  assert.ok(String(lines[0]!.path).length <= 2049);
  assert.ok(String(lines[0]!.ua).length <= 513);
});

test('after unsubscribing nothing is written, and a broken message does not throw into the publisher', async (t) => {
  const { logger, lines } = capture();
  const stop = subscribeAccessLog(logger, { redact: [] });
  let uncaught = 0;
  const onUncaught = () => { uncaught += 1; };
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));
  publishRequestEnd(() => ({ ...message(), headers: undefined as never, path: undefined as never }));
  stop();
  publishRequestEnd(() => message());
  // diagnostics_channel rethrows a subscriber's error on the next tick.
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 0);
  assert.equal(uncaught, 0);
});
