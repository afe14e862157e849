import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import { MemoryStore } from '../../store/memory.js';
import type { AuthProvider } from './provider.js';
import { sharedProvider } from './shared-providers.js';

test('a key file changed between two compiles publishes key.change once; an unchanged one does not', (t) => {
  const got: SecurityEventMessage[] = [];
  const fn = (m: unknown) => got.push(m as SecurityEventMessage);
  diagnostics_channel.subscribe(CHANNELS.securityEvent, fn);
  t.after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, fn));
  const dir = mkdtempSync(join(tmpdir(), 'pcl-siem-keys-'));
  writeFileSync(join(dir, 'keys.yaml'), 'keys: []\n');
  const store = new MemoryStore();
  const cfg = { kind: 'api-key', keysFile: 'keys.yaml' };
  const build = () => ({}) as AuthProvider;
  sharedProvider(store, 'books', 'apiKey', cfg, dir, build);
  sharedProvider(store, 'books', 'apiKey', cfg, dir, build);
  assert.equal(got.length, 0);
  utimesSync(join(dir, 'keys.yaml'), new Date(), new Date(Date.now() + 5000));
  sharedProvider(store, 'books', 'apiKey', cfg, dir, build);
  sharedProvider(store, 'books', 'apiKey', cfg, dir, build);
  assert.deepEqual(got.map((e) => [e.kind, e.reason, e.api, e.scheme]), [['key.change', 'key_file', 'books', 'apiKey']]);
});
