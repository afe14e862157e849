import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../test/helpers/gateway.js';
import { findPackageRoot } from '../../src/util/package-root.js';

const file = join(findPackageRoot(import.meta.url), 'examples', 'uploads', 'portcullis.yaml');

test('the uploads example config validates and compiles (both operations carry the uploads stage)', async () => {
  const r = await runCli(['validate', '-c', file]);
  assert.equal(r.code, 0, r.stderr);
  const routes = await runCli(['routes', '-c', file]);
  assert.equal(routes.code, 0, routes.stderr);
  const lines = routes.stdout.split('\n');
  assert.ok(lines.some((l) => l.includes('/v1/documents') && l.includes('uploads')), routes.stdout);
  assert.ok(lines.some((l) => l.includes('/v1/avatar') && l.includes('uploads')), routes.stdout);
});
