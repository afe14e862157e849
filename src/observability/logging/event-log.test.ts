import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import {
  CHANNELS,
  publishCircuitState,
  publishClientError,
  publishConfigReload,
  publishStageDecision,
  publishStageError,
  publishUpstreamError,
} from '../channels.js';
import { subscribeEventLog } from './event-log.js';
import { createLogger } from './logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
  return { logger, lines };
}

test('stage errors, reloads, upstream errors and circuit changes are logged at their levels', (t) => {
  const { logger, lines } = capture('info');
  const stop = subscribeEventLog(logger);
  t.after(stop);
  publishStageError({ requestId: 'r1', stage: 'authn', error: new TypeError('boom') });
  publishConfigReload({ ok: true, reason: 'SIGHUP', durationMs: 12.34567 });
  publishConfigReload({ ok: false, reason: 'watch', error: 'portcullis.yaml:3 apis[0].upstream: must be an http(s) URL', durationMs: 1 });
  publishUpstreamError({ requestId: 'r2', api: 'books', code: 'PCL_UPSTREAM_TIMEOUT', reason: 'headers timeout' });
  publishCircuitState({ api: 'books', state: 'open' });
  publishCircuitState({ api: 'books', state: 'closed' });

  const [stageErr, ok, failed, upstream, open, closed] = lines;
  assert.equal(lines.length, 6);
  assert.equal(stageErr!.level, 'error');
  assert.equal(stageErr!.msg, 'stage failed');
  assert.equal(stageErr!.stage, 'authn');
  assert.equal(stageErr!.reqId, 'r1');
  const err = stageErr!.err as Record<string, string>;
  assert.equal(err.message, 'boom');
  assert.equal(err.type, 'TypeError');
  assert.match(err.stack!, /TypeError: boom/);

  assert.deepEqual([ok!.level, ok!.msg, ok!.reason, ok!.durationMs], ['info', 'config reloaded', 'SIGHUP', 12.346]);
  assert.deepEqual([failed!.level, failed!.msg], ['error', 'config reload failed']);
  assert.match(String(failed!.error), /must be an http\(s\) URL/);
  assert.deepEqual([upstream!.level, upstream!.api, upstream!.code], ['warn', 'books', 'PCL_UPSTREAM_TIMEOUT']);
  assert.deepEqual([open!.level, open!.state], ['warn', 'open']);
  assert.deepEqual([closed!.level, closed!.state], ['info', 'closed']);
});

test('a non-Error thrown by a stage is logged as a message', (t) => {
  const { logger, lines } = capture('info');
  t.after(subscribeEventLog(logger));
  publishStageError({ requestId: 'r1', stage: 'waf', error: 'just a string' });
  assert.equal((lines[0]!.err as Record<string, unknown>).message, 'just a string');
});

test('client errors and stage decisions are logged only at debug, and not subscribed otherwise', (t) => {
  const info = capture('info');
  const stopInfo = subscribeEventLog(info.logger);
  // Publishers skip building messages when nobody listens.
  assert.equal(diagnostics_channel.hasSubscribers(CHANNELS.clientError), false);
  assert.equal(diagnostics_channel.hasSubscribers(CHANNELS.stageDecision), false);
  assert.equal(diagnostics_channel.hasSubscribers(CHANNELS.stageError), true);
  publishClientError({ code: 'PCL_HEADERS_TOO_LARGE', peer: '198.51.100.1' });
  publishStageDecision({ requestId: 'r', stage: 'cors', decision: 'reject', code: 'PCL_CORS_REJECTED', enforced: false });
  stopInfo();
  assert.equal(info.lines.length, 0);

  const debug = capture('debug');
  t.after(subscribeEventLog(debug.logger));
  publishClientError({ code: 'PCL_HEADERS_TOO_LARGE', peer: '198.51.100.1' });
  publishStageDecision({ requestId: 'r', stage: 'cors', decision: 'reject', code: 'PCL_CORS_REJECTED', enforced: false });
  assert.deepEqual(debug.lines.map((l) => [l.level, l.msg, l.code]), [
    ['debug', 'client error', 'PCL_HEADERS_TOO_LARGE'],
    ['debug', 'stage decision', 'PCL_CORS_REJECTED'],
  ]);
  assert.equal(debug.lines[1]!.enforced, false);
});

test('unsubscribing stops all event lines', () => {
  const { logger, lines } = capture('debug');
  subscribeEventLog(logger)();
  publishStageError({ requestId: 'r1', stage: 'authn', error: new Error('x') });
  publishConfigReload({ ok: true, reason: 'SIGHUP', durationMs: 1 });
  publishClientError({ code: 'PCL_BAD_REQUEST', peer: '::1' });
  assert.equal(lines.length, 0);
});
