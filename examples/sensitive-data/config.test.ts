import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findPackageRoot } from '../../src/util/package-root.js';
import { loadConfig } from '../../src/config/load.js';
import { compileRuntime } from '../../src/runtime/compile.js';

test('examples/sensitive-data: the config loads and every operation carries sensitive-data', async () => {
  const loaded = await loadConfig(join(findPackageRoot(import.meta.url), 'examples', 'sensitive-data', 'portcullis.yaml'), {});
  const runtime = await compileRuntime(loaded);
  try {
    const names = runtime.routes.map((r) => [r.operationId, r.plan.stages.map((s) => s.name).includes('sensitive-data')]);
    assert.deepEqual(names.sort(), [['getOrder', true], ['listOrders', true]]);
  } finally {
    await runtime.close();
  }
});
