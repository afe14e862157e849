import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { CLIENT_ERRORS, type ClientErrorCode } from '../errors/index.js';
import { CHANNELS, publishSecurityEvent, trackRequest, untrackRequest, type SecurityEventMessage } from '../observability/channels.js';
import { GATEWAY_REFUSAL_CODES, REFUSALS_PUBLISHED_ELSEWHERE, publishRefusalOf } from './refusal-events.js';

test('every client error code has a security event: published here or named with the place that publishes it', () => {
  const unclassified = Object.keys(CLIENT_ERRORS).filter((c) => !GATEWAY_REFUSAL_CODES.has(c) && !REFUSALS_PUBLISHED_ELSEWHERE.has(c as ClientErrorCode));
  assert.deepEqual(unclassified, []);
  const both = [...GATEWAY_REFUSAL_CODES].filter((c) => REFUSALS_PUBLISHED_ELSEWHERE.has(c as ClientErrorCode));
  assert.deepEqual(both, [], 'a code published twice would be counted twice');
});

test('the gateway-condition refusals publish an event with their status, code and the request id', () => {
  const seen: SecurityEventMessage[] = [];
  const listener = (m: unknown) => { seen.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, listener);
  try {
    const r = { requestId: 'r-1', method: 'POST', path: '/big/upload?token=x', client: '10.0.0.1', api: 'big', operationId: 'upload' };
    publishRefusalOf(r, 'PCL_SPOOL_FULL', 503);
    publishRefusalOf({ ...r, requestId: 'r-2' }, 'PCL_WAF_NOT_READY', 503, 'waf');
    publishRefusalOf({ ...r, requestId: 'r-3' }, 'PCL_API_VERSION_UNKNOWN', 400);
    publishRefusalOf({ ...r, requestId: 'r-4' }, 'PCL_WAF_BLOCKED', 403);
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, listener);
  }
  const mine = seen.filter((e) => e.requestId.startsWith('r-'));
  assert.deepEqual(mine.map((e) => [e.requestId, e.kind, e.reason, e.status, e.code, e.stage]), [
    ['r-1', 'gateway.unavailable', 'spool_full', 503, 'PCL_SPOOL_FULL', 'http'],
    ['r-2', 'gateway.unavailable', 'waf_not_ready', 503, 'PCL_WAF_NOT_READY', 'waf'],
    ['r-3', 'route.undocumented', 'api_version_unknown', 400, 'PCL_API_VERSION_UNKNOWN', 'router'],
  ], 'the WAF publishes its own block; the gateway does not publish it again');
  assert.ok(mine.every((e) => e.path?.startsWith('/big/upload?token=') === true && !e.path.includes('token=x')), 'the token in the query is redacted');
});

function collect(): { events: SecurityEventMessage[]; stop(): void } {
  const events: SecurityEventMessage[] = [];
  const on = (m: unknown) => { events.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
  return { events, stop: () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on) };
}

const request = (requestId: string) => ({ requestId, method: 'GET', path: '/v1/orders/7', client: '198.51.100.7', api: 'shop', operationId: 'getOrder' });

test('a stage refusal with no event carrying its answer is published as request.refused (every refusal an event)', () => {
  const c = collect();
  try {
    trackRequest('silent', 'GET', '/v1/orders/7');
    // An anomaly block for the rest of its duration: the stage refuses without an event of its own.
    publishRefusalOf(request('silent'), 'PCL_ANOMALY_BLOCKED', 403, 'anomaly');
    assert.equal(c.events.length, 1);
    assert.deepEqual({ ...c.events[0], time: undefined }, {
      kind: 'request.refused', reason: 'anomaly_blocked', requestId: 'silent', api: 'shop', operationId: 'getOrder', client: '198.51.100.7',
      severity: 'low', stage: 'anomaly', enforced: true, method: 'GET', path: '/v1/orders/7', status: 403, code: 'PCL_ANOMALY_BLOCKED', time: undefined,
    });
  } finally {
    untrackRequest('silent');
    c.stop();
  }
});

test('a stage that published its refusal with the answer gets no second event; events without the answer do not count', () => {
  const c = collect();
  try {
    trackRequest('told', 'GET', '/v1/orders/7');
    publishSecurityEvent(() => ({ kind: 'authz.denied', reason: 'owner', requestId: 'told', api: 'shop', operationId: 'getOrder', client: '198.51.100.7', severity: 'medium', stage: 'authz', status: 403, code: 'PCL_AUTHZ_DENIED' }));
    publishRefusalOf(request('told'), 'PCL_AUTHZ_DENIED', 403, 'authz');
    assert.deepEqual(c.events.map((e) => e.kind), ['authz.denied']);

    trackRequest('half', 'POST', '/login');
    publishSecurityEvent(() => ({ kind: 'bot.detected', reason: 'score', requestId: 'half', api: 'shop', operationId: 'login', client: '198.51.100.7', severity: 'medium', stage: 'bot' }));
    publishRefusalOf(request('half'), 'PCL_BOT_THROTTLED', 429, 'bot');
    assert.deepEqual(c.events.map((e) => e.kind), ['authz.denied', 'bot.detected', 'request.refused']);
    assert.equal(c.events[2]!.status, 429);

    // Server-side failures are not refusals of the client (they have their own channels).
    trackRequest('broken', 'GET', '/x');
    publishRefusalOf(request('broken'), 'PCL_BOT_UNAVAILABLE', 503, 'bot');
    assert.equal(c.events.length, 3);
  } finally {
    for (const id of ['told', 'half', 'broken']) untrackRequest(id);
    c.stop();
  }
});
