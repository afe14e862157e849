import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

// Runs compiled (dist/, .js) and under tsx (.ts): pick the fixture that matches.
const ts = import.meta.url.endsWith('.ts');
const FIXTURE = ts ? join(REPO_ROOT, 'test', 'fixtures', 'inputs', 'needs-missing-input.ts') : join(REPO_ROOT, 'dist', 'test', 'fixtures', 'inputs', 'needs-missing-input.js');

function run(ci: string | undefined): { status: number | null; out: string } {
  const env = { ...process.env };
  delete env['CI'];
  delete env['NODE_TEST_CONTEXT']; // else the child believes it runs under this runner
  if (ci !== undefined) env['CI'] = ci;
  const r = spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--test-reporter=tap', FIXTURE], { env, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('a missing test input is a skip on a developer machine', () => {
  const r = run(undefined);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /# SKIP a missing input is missing at \/nonexistent\/portcullis-test-input/);
  assert.match(r.out, /# fail 0/);
});

test('with CI=true a missing test input fails the run, naming it', () => {
  const r = run('true');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /not ok \d+ - required test input: a missing input/);
  assert.match(r.out, /CI=true and a missing input is missing/);
});
