import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { CHANNELS, publishAdminAction, publishConfigReload, publishUpstreamError, type SecurityEventMessage } from './channels.js';
import { subscribeSecurityBridge } from './security-bridge.js';

function collect(t: { after: (fn: () => void) => void }): SecurityEventMessage[] {
  const got: SecurityEventMessage[] = [];
  const fn = (m: unknown) => got.push(m as SecurityEventMessage);
  diagnostics_channel.subscribe(CHANNELS.securityEvent, fn);
  t.after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, fn));
  return got;
}

test('upstream errors, reloads and revocation changes are republished (admin calls are published by the admin guard, once) as timestamped security events', (t) => {
  const got = collect(t);
  t.after(subscribeSecurityBridge());
  publishUpstreamError({ requestId: 'r1', api: 'books', code: 'PCL_UPSTREAM_TIMEOUT', reason: 'headers timeout', client: '192.0.2.1', operationId: 'getBook' });
  publishConfigReload({ ok: true, reason: 'SIGHUP', durationMs: 3 });
  publishConfigReload({ ok: false, reason: 'admin', error: 'apis.0.upstream: bad', durationMs: 1 });
  publishAdminAction({ action: 'revocation.create', ok: true, peer: '127.0.0.1', requestId: 'a1' });
  publishAdminAction({ action: 'status', ok: false, peer: '10.1.1.1', requestId: 'a2' });
  assert.deepEqual(got.map((e) => [e.kind, e.reason]), [
    ['upstream.error', 'timeout'], ['config.reload', 'SIGHUP'], ['config.reload_failed', 'admin'],
    ['revocation.change', 'create'],
  ]);
  assert.equal(got[0]!.client, '192.0.2.1');
  assert.equal(got[0]!.operationId, 'getBook');
  assert.equal(got[2]!.excerpt, 'apis.0.upstream: bad');
  assert.equal(got[3]!.client, '127.0.0.1');
  assert.ok(got.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time)));
});

test('unsubscribing stops the bridge', (t) => {
  const got = collect(t);
  subscribeSecurityBridge()();
  publishConfigReload({ ok: true, reason: 'SIGHUP', durationMs: 3 });
  assert.equal(got.length, 0);
});
