/**
 * CRS v4.28.0 regression suite replayed through the engine. Fails when the pass
 * rate drops below the recorded floor or when a case outside known-failures.json fails.
 * Full report: `npx tsx test/conformance/waf/report.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCrs4Suite, caseKey } from './run-suite.js';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { join } from 'node:path';

const known = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'test/conformance/waf/known-failures.json'), 'utf8')) as { floor: number; failures: Record<string, string> };

test('CRS v4 regression tests: pass-rate floor and no new failures', { timeout: 1_200_000 }, () => {
  const s = runCrs4Suite();
  const unexpected = s.results.filter((r) => r.status === 'fail' && !(caseKey(r) in known.failures)).map((r) => `${caseKey(r)}: ${r.reason}`);
  assert.deepEqual(unexpected, []);
  assert.ok(s.rate >= known.floor, `pass rate ${s.rate} below floor ${known.floor}`);
});
