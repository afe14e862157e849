/**
 * External test inputs (data and programs the repository does not ship) and one rule for when
 * they are missing: on a developer machine the tests that need them are skipped with a message;
 * in CI (`CI=true`, which `.ci/run` sets after installing them) a missing input fails the run.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './paths.js';

/** The shared conformance data: `shared/conformance` beside the repository (as CI lays it out), else the session layout, unless PCL_CONFORMANCE_DIR says otherwise. */
export const CONFORMANCE_DIR: string = process.env['PCL_CONFORMANCE_DIR'] ??
  [resolve(REPO_ROOT, '..', 'shared', 'conformance'), '/work/shared/conformance'].find((d) => existsSync(d)) ??
  resolve(REPO_ROOT, '..', 'shared', 'conformance');
/** Debian's modsecurity-crs package (CRS 3.3.x). */
export const DEBIAN_CRS_DIR = '/usr/share/modsecurity-crs';
/** Debian's Chromium, driven by playwright-core in the dashboard test. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether this run must have every input (CI). */
export const inputsRequired = (): boolean => process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * The `skip` option for tests that need the file or folder at `path`: `false` when it exists;
 * otherwise a reason to skip, and in CI also a failing test naming what is missing and how to
 * install it, so a CI run without its inputs is red instead of quietly green.
 *
 * @example
 * const skip = needInput('Chromium', CHROMIUM, 'apt-get install -y chromium');
 * describe('dashboard in a real browser', { skip }, () => { ... });
 */
export function needInput(what: string, path: string, install: string): string | false {
  if (existsSync(path)) return false;
  const reason = `${what} is missing at ${path} (${install})`;
  if (inputsRequired()) {
    test(`required test input: ${what}`, () => { assert.fail(`CI=true and ${reason}: the tests that need it cannot run`); });
  }
  return reason;
}
