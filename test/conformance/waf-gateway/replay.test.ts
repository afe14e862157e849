/**
 * CRS v4 regression subset (every 15th request-side case, about 320) replayed through a
 * real gateway process. Fails on a failure or a refusal not listed in known-failures.json,
 * or when the pass rate drops below its floor. Full listing:
 * `node dist/test/conformance/waf-gateway/report.js`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { replayThroughGateway, selectCases } from './replay.js';

const known = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'test/conformance/waf-gateway/known-failures.json'), 'utf8')) as {
  floor: number; failures: Record<string, string>; refused: Record<string, string>;
};

test('CRS v4 regression subset through the gateway: rule ids in security events match the expected ids', { timeout: 600_000 }, async () => {
  const cases = selectCases();
  assert.ok(cases.length >= 300, `subset has ${cases.length} cases`);
  const s = await replayThroughGateway(cases);
  const unexpected = s.results
    .filter((r) => (r.status === 'fail' && !(r.key in known.failures)) || (r.status === 'refused' && !(r.key in known.refused)))
    .map((r) => `${r.key} ${r.status}: ${r.reason}`);
  assert.deepEqual(unexpected, []);
  assert.ok(s.rate >= known.floor, `pass rate ${s.rate} below floor ${known.floor}`);
});
