import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../test/helpers/gateway.js';
import { findPackageRoot } from '../../src/util/package-root.js';

const file = join(findPackageRoot(import.meta.url), 'examples', 'api-lifecycle', 'portcullis.yaml');

test('the api-lifecycle example validates and compiles: both header-selected versions, the lifecycle stage on v1, the templated upstream', async () => {
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 0, r.stderr);
  const routes = await runCli(['routes', '-c', file]);
  assert.equal(routes.code, 0, routes.stderr);
  const lines = routes.stdout.split('\n');
  assert.ok(lines.some((l) => l.includes('listOrdersV2')), routes.stdout);
  assert.ok(lines.some((l) => l.includes('listOrdersV1') && l.includes('lifecycle')), routes.stdout);
  assert.ok(lines.some((l) => l.includes('tenantSummary')), routes.stdout);
});
