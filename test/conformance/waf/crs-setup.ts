/**
 * Loads CRS v4 the way CRS's own test environment configures it: request and
 * response body access on, DetectionOnly (every rule runs and logs), paranoia 4,
 * and the test-specific limits from CRS's CI setup.
 */
import { SecLangLoader } from '../../../src/waf/rules/parser.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findPackageRoot } from '../../../src/util/package-root.js';

/**
 * Where the shared conformance data lives: `shared/` beside the repository (as CI lays it
 * out), else the session layout, unless PCL_CONFORMANCE_DIR says otherwise.
 */
export const CONFORMANCE_DIR = process.env['PCL_CONFORMANCE_DIR'] ??
  [resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance'), '/work/shared/conformance'].find((d) => existsSync(d)) ??
  resolve(findPackageRoot(import.meta.url), '..', 'shared', 'conformance');

export const TEST_SETUP = `
SecRequestBodyAccess On
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml application/json
SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,\\
  setvar:tx.blocking_paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_name_length=100,\\
  setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,setvar:tx.max_num_args=255,\\
  setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"
`;

/** @example const rs = loadCrs4ForTests() */
export function loadCrs4ForTests(): RuleSet {
  const dir = join(CONFORMANCE_DIR, 'crs-4-rules');
  const l = new SecLangLoader();
  l.loadFile(join(dir, 'crs-setup.conf.example'));
  l.loadString(TEST_SETUP, join(dir, 'test-setup.conf'));
  for (const f of readdirSync(join(dir, 'rules')).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(dir, 'rules', f));
  return l.finish();
}
