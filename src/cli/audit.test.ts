import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSearchArgs } from './audit.js';

test('audit search options become a query; times are normalised to ISO', () => {
  const { query, json } = parseSearchArgs(['audit', 'search', '-c', 'p.yaml', '--since', '2026-01-02', '--principal=alice', '--operation', 'getBook', '--text', 'a b', '--limit', '5', '--json']);
  assert.deepEqual(query, { since: '2026-01-02T00:00:00.000Z', principal: 'alice', operationId: 'getBook', text: 'a b', limit: 5 });
  assert.equal(json, true);
});

test('bad audit search options are refused with a message', () => {
  assert.throws(() => parseSearchArgs(['--until', 'soon']), /--until: not a date/);
  assert.throws(() => parseSearchArgs(['--limit', '0']), /--limit must be a positive integer/);
  assert.throws(() => parseSearchArgs(['--kind']), /--kind needs a value/);
  assert.throws(() => parseSearchArgs(['--drop-table', 'x']), /unknown option --drop-table/);
});
