import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlan } from '../pipeline/runner.js';
import { CONTINUE, type Stage } from '../pipeline/stage.js';
import { spoolProblems } from './spool-check.js';

const dir = mkdtempSync(join(tmpdir(), 'pcl-spool-check-'));
const observer = () => ({ write() {}, end() {}, abort() {} });
const uploads = (thresholdBytes: number): Stage => ({
  name: 'uploads', order: 520, mode: 'enforce', onError: 'fail-closed', needsRequestBody: true,
  observeRequestBody: observer, spoolRequestBody: { thresholdBytes, dir }, handlers: { inspect: () => CONTINUE },
});
const reader = (name: string, extra: Partial<Stage> = {}): Stage => ({ name, order: 500, mode: 'enforce', onError: 'fail-closed', needsRequestBody: true, handlers: { inspect: () => CONTINUE }, ...extra });

test('a plan that spools: fine alone, and with a stage that reads a prefix the threshold covers', () => {
  assert.deepEqual(spoolProblems(compilePlan([uploads(65_536)]), 1 << 20), []);
  assert.deepEqual(spoolProblems(compilePlan([uploads(131_072), reader('waf', { spooledBodyPrefix: 131_072 })]), 1 << 20), []);
  assert.equal(compilePlan([uploads(65_536)]).spool?.thresholdBytes, 65_536);
  assert.equal(compilePlan([reader('waf')]).spool, undefined);
});

test('a stage that reads the whole body, a prefix above the threshold, each a problem at its option; a threshold at the body limit a warning', () => {
  const whole = spoolProblems(compilePlan([uploads(65_536), reader('requestValidation')]), 1 << 20);
  assert.deepEqual(whole.map((p) => [p.stage, p.path.join('.')]), [['uploads', 'spool']]);
  assert.match(whole[0]!.message, /stage requestValidation reads the whole request body in memory/);
  const prefix = spoolProblems(compilePlan([uploads(65_536), reader('waf', { spooledBodyPrefix: 131_072 })]), 1 << 20);
  assert.deepEqual(prefix.map((p) => p.path.join('.')), ['spool.thresholdBytes']);
  const never = spoolProblems(compilePlan([uploads(1 << 20)]), 1 << 20);
  assert.match(never[0]!.message, /not below the body limit/);
  assert.equal(never[0]!.warning, true);
  // A stage in off mode is not in the plan: no conflict.
  assert.deepEqual(spoolProblems(compilePlan([uploads(65_536), reader('requestValidation', { mode: 'off' })]), 1 << 20), []);
});
