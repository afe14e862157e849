import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { subscribeSecurityMetrics } from '../metrics/security-metrics.js';
import { publishSecurityEvent, type SecurityEventInput } from '../channels.js';
import { createLogger } from './logger.js';
import { subscribeSecurityEventLog } from './security-events.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
  return { logger, lines };
}

const failure: SecurityEventInput = { kind: 'authn.failure', reason: 'expired', requestId: 'r1', api: 'books', operationId: 'listBooks', client: '203.0.113.9', scheme: 'bearerAuth', severity: 'medium' };
const success: SecurityEventInput = { kind: 'authn.success', reason: 'jwt', requestId: 'r2', api: 'books', operationId: 'listBooks', client: '203.0.113.9', principal: 'alice', severity: 'info' };

test('failures are logged at warn with their reason; successes are not logged at info', (t) => {
  const { logger, lines } = capture('info');
  t.after(subscribeSecurityEventLog(logger));
  publishSecurityEvent(() => failure);
  publishSecurityEvent(() => success);
  assert.equal(lines.length, 1);
  assert.deepEqual(
    { level: lines[0]!.level, msg: lines[0]!.msg, event: lines[0]!.event, reason: lines[0]!.reason, scheme: lines[0]!.scheme, client: lines[0]!.client, reqId: lines[0]!.reqId },
    { level: 'warn', msg: 'security event', event: 'authn.failure', reason: 'expired', scheme: 'bearerAuth', client: '203.0.113.9', reqId: 'r1' },
  );
});

test('at debug, successes are logged too (at debug, with the principal)', (t) => {
  const { logger, lines } = capture('debug');
  t.after(subscribeSecurityEventLog(logger));
  publishSecurityEvent(() => success);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'debug');
  assert.equal(lines[0]!.principal, 'alice');
});

test('after unsubscribing nothing is logged', () => {
  const { logger, lines } = capture('debug');
  subscribeSecurityEventLog(logger)();
  publishSecurityEvent(() => failure);
  assert.equal(lines.length, 0);
});

test('rule ids, stage, excerpt and enforcement reach the log line (WAF events)', (t) => {
  const { logger, lines } = capture('info');
  t.after(subscribeSecurityEventLog(logger));
  publishSecurityEvent(() => ({ ...failure, kind: 'waf.block', stage: 'waf', ruleIds: ['942100'], excerpt: 'ARGS:q: 1 or 1=1', enforced: true }));
  assert.deepEqual(
    { event: lines[0]!.event, stage: lines[0]!.stage, ruleIds: lines[0]!.ruleIds, excerpt: lines[0]!.excerpt, enforced: lines[0]!.enforced },
    { event: 'waf.block', stage: 'waf', ruleIds: ['942100'], excerpt: 'ARGS:q: 1 or 1=1', enforced: true },
  );
});

test('a flood of N denials writes the first 5 lines plus one summary with the exact count; other clients are logged apart; the metric counts all N', async (t) => {
  const { logger, lines } = capture('info');
  const registry = new Registry();
  t.after(subscribeSecurityMetrics(registry));
  const stop = subscribeSecurityEventLog(logger);
  let stopped = false;
  t.after(() => { if (!stopped) stop(); });
  const N = 10_000;
  for (let i = 0; i < N; i++) publishSecurityEvent(() => ({ ...failure, kind: 'ratelimit.exceeded', reason: 'limit', requestId: `r${i}` }));
  publishSecurityEvent(() => ({ ...failure, client: '198.51.100.7' }));
  assert.equal(lines.length, 6, 'five of the flood, one of the other client');
  stop();
  stopped = true;
  const summaries = lines.filter((l) => l.msg === 'security events suppressed');
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0]!.suppressed, N - 5);
  assert.equal(summaries[0]!.event, 'ratelimit.exceeded');
  assert.equal(summaries[0]!.client, failure.client);
  assert.equal(summaries[0]!.operation, 'listBooks');
  assert.equal(summaries[0]!.reqId, undefined);
  const logged = lines.filter((l) => l.msg === 'security event' && l.event === 'ratelimit.exceeded').length;
  assert.equal(logged + Number(summaries[0]!.suppressed), N, 'every event is either logged or counted');
  assert.match(await registry.metrics(), new RegExp(`^portcullis_security_events_total\\{kind="ratelimit\\.exceeded",reason="[a-z]+"\\} ${N}$`, 'm'));
});

test('a new interval logs the first ones again', async (t) => {
  const { logger, lines } = capture('info');
  t.after(subscribeSecurityEventLog(logger, { burst: 2, intervalMs: 30 }));
  for (let i = 0; i < 10; i++) publishSecurityEvent(() => failure);
  for (let i = 0; i < 200 && !lines.some((l) => l.msg === 'security events suppressed'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(lines.find((l) => l.msg === 'security events suppressed')?.suppressed, 8);
  publishSecurityEvent(() => failure);
  assert.equal(lines.filter((l) => l.msg === 'security event').length, 3);
});

test('a routine event (a WAF match below the anomaly threshold) is logged at debug, never at warn', (t) => {
  const { logger, lines } = capture('debug');
  t.after(subscribeSecurityEventLog(logger));
  const below: SecurityEventInput = { ...failure, kind: 'waf.match', stage: 'waf', ruleIds: ['920350'], severity: 'medium', enforced: false, routine: true };
  publishSecurityEvent(() => below);
  publishSecurityEvent(() => ({ ...below, routine: false }));
  assert.deepEqual(lines.map((l) => l.level), ['debug', 'warn']);
});
