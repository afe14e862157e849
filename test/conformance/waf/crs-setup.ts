/**
 * Loads CRS v4 the way CRS's own test environment configures it: request and
 * response body access on, DetectionOnly (every rule runs and logs), paranoia 4,
 * and the test-specific limits from CRS's CI setup.
 */
import { SecLangLoader } from '../../../src/waf/rules/parser.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { CONFORMANCE_DIR, needInput } from '../../helpers/inputs.js';

/**
 * Where the shared conformance data lives: `shared/` beside the repository (as CI lays it
 * out), else the session layout, unless PCL_CONFORMANCE_DIR says otherwise.
 */
export { CONFORMANCE_DIR };

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

/**
 * Where Debian's modsecurity-crs package (3.3.x) puts the rules and its setup file;
 * PCL_CRS3_RULES / PCL_CRS3_SETUP point elsewhere (e.g. a CRS v3.3.4 checkout).
 */
export const CRS3_RULES_DIR = process.env['PCL_CRS3_RULES'] ?? '/usr/share/modsecurity-crs/rules';
export const CRS3_SETUP_FILE = process.env['PCL_CRS3_SETUP'] ?? '/etc/modsecurity/crs/crs-setup.conf';

// CRS 3.3 names the paranoia level tx.paranoia_level; the limits are those of CRS's test setup.
const TEST_SETUP_3 = `
SecRequestBodyAccess On
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml application/json
SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000-910999,\\
  setvar:tx.paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_name_length=100,\\
  setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,setvar:tx.max_num_args=255,\\
  setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"
`;

/** The `skip` option of tests that need the CRS 3.3 rules (a failure in CI when they are missing). @example test('…', { skip: crs3Skip() }, …) */
export function crs3Skip(): string | false {
  const install = 'apt-get install -y modsecurity-crs; .ci/run installs it';
  return needInput('modsecurity-crs rules (CRS 3.3)', CRS3_RULES_DIR, install) || needInput('modsecurity-crs setup file', CRS3_SETUP_FILE, install);
}

/** Loads Debian's CRS 3.3 the way CRS 3.3's tests expect (paranoia 4, DetectionOnly). @example const rs = loadCrs3ForTests() */
export function loadCrs3ForTests(): RuleSet {
  const l = new SecLangLoader();
  l.loadFile(CRS3_SETUP_FILE);
  l.loadString(TEST_SETUP_3, join(dirname(CRS3_SETUP_FILE), 'test-setup.conf'));
  for (const f of readdirSync(CRS3_RULES_DIR).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(CRS3_RULES_DIR, f));
  return l.finish();
}
