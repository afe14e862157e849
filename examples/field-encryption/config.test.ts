import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot } from '../../src/util/package-root.js';
import { loadConfig } from '../../src/config/load.js';
import { compileRuntime } from '../../src/runtime/compile.js';

test('examples/field-encryption: the config loads with a generated key and every operation carries field-encryption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-example-fle-'));
  const source = join(findPackageRoot(import.meta.url), 'examples', 'field-encryption');
  for (const f of ['portcullis.yaml', 'openapi.yaml']) cpSync(join(source, f), join(dir, f));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', 'customer-pii.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const loaded = await loadConfig(join(dir, 'portcullis.yaml'), { PCL_JWT_SECRET: 'example-secret-at-least-32-characters!!' });
  assert.equal(loaded.keyring.current('customer-pii').kid, 'customer-pii.v1');
  const runtime = await compileRuntime(loaded);
  try {
    const names = runtime.routes.map((r) => [r.operationId, r.plan.stages.map((s) => s.name).includes('field-encryption')]);
    assert.deepEqual(names.sort(), [['createCustomer', true], ['getCustomer', true], ['listCustomers', true]]);
  } finally {
    await runtime.close();
  }
});
