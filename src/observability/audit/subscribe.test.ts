import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { publishConfigReload } from '../channels.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { kindFilter, subscribeAudit } from './subscribe.js';
import { AuditWriter } from './writer.js';

test('kind patterns match whole kinds, "*" is the only wildcard', () => {
  const f = kindFilter(['authn*', 'config.reload', 'a.b']);
  assert.equal(f('authn.failure'), true);
  assert.equal(f('config.reload'), true);
  assert.equal(f('config.reloaded'), false);
  assert.equal(f('axb'), false, '"." is literal');
  assert.equal(f('waf.block'), false);
  assert.equal(kindFilter([])('authn.failure'), false);
});

test('security events of configured kinds and config reloads become records; others do not', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const store = new SqliteAuditStore(':memory:');
  const w = await AuditWriter.open({ store, instance: 'gw', signer: { privateKey, publicKey }, flushIntervalMs: 1 });
  const stop = subscribeAudit(w, ['authz*', 'config*']);
  const events = diagnostics_channel.channel('portcullis:security:event');
  events.publish({ kind: 'authz.denied', reason: 'scope', principal: 'alice', requestId: 'r1', api: 'books', operationId: 'getBook', client: '10.0.0.9', stage: 'authz', severity: 'medium' });
  events.publish({ kind: 'waf.match', reason: 'sqli' });
  events.publish({ reason: 'no kind' });
  publishConfigReload({ ok: false, reason: 'SIGHUP', error: 'bad', durationMs: 1.23456 });
  stop();
  events.publish({ kind: 'authz.denied' });
  await w.flush();
  const rows = await store.records('gw', 0, 10);
  assert.deepEqual(rows.map((r) => [r.kind, r.reason, r.principal, r.decision]), [
    ['authz.denied', 'scope', 'alice', undefined],
    ['config.reload', 'SIGHUP', undefined, 'rejected'],
  ]);
  assert.deepEqual(rows[0]!.detail, { severity: 'medium', stage: 'authz' });
  assert.deepEqual(rows[1]!.detail, { durationMs: 1.235, error: 'bad' });
  await w.close();
});
