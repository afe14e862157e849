import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { registerAuditMetrics } from './metrics.js';

test('audit writer counters are exposed, including drops', async () => {
  const registry = new Registry();
  let stats = { queued: 3, written: 10, dropped: 0, failed: 0, seq: 10 };
  const remove = registerAuditMetrics(registry, () => stats);
  stats = { queued: 0, written: 12, dropped: 5, failed: 1, seq: 12 };
  const text = await registry.metrics();
  assert.match(text, /^portcullis_audit_records_total\{outcome="written"\} 12$/m);
  assert.match(text, /^portcullis_audit_records_total\{outcome="dropped"\} 5$/m);
  assert.match(text, /^portcullis_audit_records_total\{outcome="failed"\} 1$/m);
  assert.match(text, /^portcullis_audit_queue_length 0$/m);
  assert.match(text, /^portcullis_audit_chain_seq 12$/m);
  remove();
  assert.equal(await registry.metrics(), '\n');
});
