import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SecurityEventMessage } from '../channels.js';
import { createFileTransport } from './file.js';

const ev = (i: number): SecurityEventMessage => ({ kind: 'ratelimit.exceeded', reason: 'per-ip', requestId: `r-${String(i).padStart(2, '0')}`, api: 'a', operationId: undefined, client: '10.0.0.1', severity: 'low', time: '2026-01-01T00:00:00.000Z' });

test('JSON lines, rotated by size, keeping N files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-siem-file-'));
  const path = join(dir, 'sub', 'events.jsonl');
  const line = `${JSON.stringify(ev(0))}\n`.length;
  const t = createFileTransport({ path, maxBytes: line * 10, keep: 2 });
  for (let i = 0; i < 45; i++) await t.send([ev(i)]);
  await t.close();
  assert.deepEqual(readdirSync(join(dir, 'sub')).sort(), ['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
  const lines = (f: string) => readFileSync(join(dir, 'sub', f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as SecurityEventMessage).requestId);
  assert.deepEqual(lines('events.jsonl'), ['r-40', 'r-41', 'r-42', 'r-43', 'r-44']);
  assert.deepEqual(lines('events.jsonl.1'), Array.from({ length: 10 }, (_, k) => `r-${30 + k}`));
  assert.deepEqual(lines('events.jsonl.2'), Array.from({ length: 10 }, (_, k) => `r-${20 + k}`));
});

test('keep 0 restarts the file; a restarted transport appends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-siem-file-'));
  const path = join(dir, 'e.jsonl');
  const line = `${JSON.stringify(ev(0))}\n`.length;
  let t = createFileTransport({ path, maxBytes: line * 3, keep: 0 });
  await t.send([ev(1), ev(2)]);
  await t.close();
  t = createFileTransport({ path, maxBytes: line * 3, keep: 0 });
  await t.send([ev(3)]);
  await t.send([ev(4)]);
  await t.close();
  assert.deepEqual(readdirSync(dir), ['e.jsonl']);
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 1);
});
