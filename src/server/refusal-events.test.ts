import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { CLIENT_ERRORS, type ClientErrorCode } from '../errors/index.js';
import { CHANNELS, type SecurityEventMessage } from '../observability/channels.js';
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
