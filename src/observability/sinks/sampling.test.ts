import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishSecurityEvent, type SecurityEventMessage } from '../channels.js';
import { otlpLogRecord } from './otlp.js';
import { FileSinkSchema, SinksSchema } from './schema.js';
import { startSinks } from './service.js';
import { Value } from '@sinclair/typebox/value';

const denial = (client: string, i: number) => () => ({
  kind: 'ratelimit.exceeded', reason: 'limit', requestId: `r-${client}-${i}`, api: 'books', operationId: 'listBooks', client,
  severity: 'low' as const, method: 'GET', path: '/v1/books', status: 429, code: 'PCL_RATE_LIMITED',
});

const fileSink = (dir: string, name: string, sampling?: object): Record<string, unknown> => Value.Default(FileSinkSchema, { name, path: join(dir, `${name}.jsonl`), flushIntervalMs: 10, ...(sampling === undefined ? {} : { sampling }) }) as Record<string, unknown>;

test('a sampled sink sends the first burst per key and one events.suppressed summary with the exact count; an unsampled one gets all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-sampling-'));
  const sinks = startSinks(Value.Default(SinksSchema, { file: [fileSink(dir, 'sampled', { burst: 3, intervalMs: 60_000 }), fileSink(dir, 'all')] }) as never, { baseDir: dir, version: 't' });
  for (let i = 0; i < 50; i += 1) publishSecurityEvent(denial('203.0.113.9', i));
  for (let i = 0; i < 2; i += 1) publishSecurityEvent(denial('198.51.100.7', i));
  await sinks.close();
  const read = (name: string) => readFileSync(join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SecurityEventMessage);
  const all = read('all');
  assert.equal(all.length, 52);
  const sampled = read('sampled');
  const of = (client: string, kind: string) => sampled.filter((e) => e.client === client && e.kind === kind);
  assert.equal(of('203.0.113.9', 'ratelimit.exceeded').length, 3);
  assert.equal(of('198.51.100.7', 'ratelimit.exceeded').length, 2);
  const summaries = sampled.filter((e) => e.kind === 'events.suppressed');
  assert.equal(summaries.length, 1, 'no summary for a key that stayed under the burst');
  assert.equal(summaries[0]!.reason, 'ratelimit.exceeded');
  assert.equal(summaries[0]!.suppressed, 47);
  assert.equal(summaries[0]!.client, '203.0.113.9');
  assert.equal(summaries[0]!.operationId, 'listBooks');
  assert.equal(summaries[0]!.requestId, '');
});

test('the sampling block is checked: a zero burst is refused, unknown keys too', () => {
  assert.equal(Value.Check(FileSinkSchema, { ...fileSink('/tmp', 'x'), sampling: { burst: 0, intervalMs: 1000, maxKeys: 10 } }), false);
  assert.equal(Value.Check(FileSinkSchema, { ...fileSink('/tmp', 'x'), sampling: { burst: 1, intervalMs: 1000, maxKeys: 10, rate: 1 } }), false);
  assert.equal(Value.Check(FileSinkSchema, { ...fileSink('/tmp', 'x'), sampling: { burst: 1, intervalMs: 1000, maxKeys: 10 } }), true);
});

test('OTLP records carry method, path, query, status, code and a summary count with semantic-convention names', () => {
  const r = otlpLogRecord({ ...denial('203.0.113.9', 1)(), path: '/v1/books?page=2', suppressed: 9, time: '2026-01-01T00:00:00.000Z' });
  const attrs = Object.fromEntries((r.attributes as { key: string; value: Record<string, unknown> }[]).map((a) => [a.key, Object.values(a.value)[0]]));
  assert.equal(attrs['http.request.method'], 'GET');
  assert.equal(attrs['url.path'], '/v1/books');
  assert.equal(attrs['url.query'], 'page=2');
  assert.equal(attrs['http.response.status_code'], '429');
  assert.equal(attrs['portcullis.code'], 'PCL_RATE_LIMITED');
  assert.equal(attrs['portcullis.suppressed'], '9');
});
