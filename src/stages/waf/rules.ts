import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runSteps, SecLangLoader, type RuleSet } from '../../waf/index.js';
import type { WafConfig, WafExclusions } from './schema.js';

/** Debian's modsecurity-crs package keeps the rules and the setup file apart. */
const DEBIAN_CRS_DIR = '/usr/share/modsecurity-crs';
const DEBIAN_SETUP = '/etc/modsecurity/crs/crs-setup.conf';
/** Id of the generated settings action: above every CRS range and the 1-99999 local range. */
const SETTINGS_RULE_ID = 2_000_000_001;

/** The inputs a compiled rule set depends on, with every path made absolute. */
export interface RuleSetInputs {
  readonly setupFile: string | undefined;
  readonly crsRules: string | undefined;
  readonly ruleFiles: readonly string[];
  readonly paranoiaLevel: number;
  readonly inboundAnomalyThreshold: number;
  readonly outboundAnomalyThreshold: number;
  readonly exclusions: WafExclusions;
  readonly customRules: string;
  readonly bodyErrors: 'refuse' | 'inspect-raw';
}

/**
 * Resolves a stage config into the inputs of its rule set (paths against the config
 * folder, the CRS setup file found in crsDir). Throws with a precise message when
 * a path does not exist.
 *
 * @example
 * ruleSetInputs({ ...cfg, crsDir: '/usr/share/modsecurity-crs' }, '/etc/portcullis').setupFile // '/etc/modsecurity/crs/crs-setup.conf'
 */
export function ruleSetInputs(cfg: WafConfig, baseDir: string): RuleSetInputs {
  let setupFile = cfg.setupFile === undefined ? undefined : resolve(baseDir, cfg.setupFile);
  let crsRules: string | undefined;
  if (cfg.crsDir !== undefined) {
    const dir = resolve(baseDir, cfg.crsDir);
    if (!isDir(join(dir, 'rules'))) throw new Error(`waf.crsDir: ${dir} has no rules/ folder (is the Core Rule Set installed there?)`);
    crsRules = join(dir, 'rules', '*.conf');
    setupFile ??= [join(dir, 'crs-setup.conf'), join(dir, 'crs-setup.conf.example'), ...(dir === DEBIAN_CRS_DIR ? [DEBIAN_SETUP] : [])].find((f) => existsSync(f));
    if (setupFile === undefined) throw new Error(`waf.crsDir: no crs-setup.conf or crs-setup.conf.example in ${dir}; name one with waf.setupFile`);
  }
  if (setupFile !== undefined && !existsSync(setupFile)) throw new Error(`waf.setupFile: ${setupFile} does not exist`);
  const ruleFiles = cfg.ruleFiles.map((f) => resolve(baseDir, f));
  if (crsRules === undefined && ruleFiles.length === 0 && cfg.customRules.trim() === '') {
    throw new Error('waf: no rules configured; set crsDir (a Core Rule Set folder), ruleFiles or customRules');
  }
  return {
    setupFile, crsRules, ruleFiles, paranoiaLevel: cfg.paranoiaLevel, inboundAnomalyThreshold: cfg.inboundAnomalyThreshold,
    outboundAnomalyThreshold: cfg.outboundAnomalyThreshold, exclusions: cfg.exclusions, customRules: cfg.customRules,
    bodyErrors: cfg.bodyErrors,
  };
}

/**
 * Loads a rule set in ModSecurity's usual order: gateway preamble, CRS setup, the
 * gateway's settings (paranoia, thresholds), custom rules, CRS rules, extra rule files,
 * then exclusions (which must come after the rules they change). Throws WafLoadError
 * (file:line: message) for bad SecLang.
 *
 * @example
 * const rs = loadWafRuleSet(ruleSetInputs(cfg, baseDir));
 */
export function loadWafRuleSet(inputs: RuleSetInputs): RuleSet {
  return runSteps(ruleSetSteps(inputs));
}

/**
 * loadWafRuleSet in steps (one SecLang directive of the setup file and the CRS files each;
 * the rest in one): the caller decides when to let the event loop run (cache.ts, ADR 0026).
 *
 * @example
 * const steps = ruleSetSteps(inputs); let s = steps.next(); while (!s.done) s = steps.next();
 */
export function* ruleSetSteps(inputs: RuleSetInputs): Generator<void, RuleSet, void> {
  const l = new SecLangLoader();
  // The gateway already buffered the body (bounded by limits.maxBodySize): let the rules see it.
  l.loadString(preamble(inputs), 'portcullis:waf-preamble');
  if (inputs.setupFile !== undefined) yield* l.loadFileSteps(inputs.setupFile);
  l.loadString(settingsAction(inputs), 'portcullis:waf-settings');
  if (inputs.customRules.trim() !== '') l.loadString(inputs.customRules, 'stages.waf.customRules');
  // CRS's files one by one, in the order its Include would take them; an empty folder goes
  // through Include, which reports a pattern that matches nothing.
  const crs = inputs.crsRules === undefined ? [] : crsFiles(inputs.crsRules);
  for (const f of crs) yield* l.loadFileSteps(f);
  const includes = [crs.length > 0 ? undefined : inputs.crsRules, ...inputs.ruleFiles].filter((f): f is string => f !== undefined);
  // Include expands globs and reports a pattern that matches nothing with its position.
  for (const f of includes) l.loadString(`Include "${f}"\n`, 'stages.waf.ruleFiles');
  const ex = exclusionDirectives(inputs.exclusions);
  if (ex !== '') l.loadString(ex, 'stages.waf.exclusions');
  return l.finish();
}

/** The files of `<crsDir>/rules/*.conf` (ruleSetInputs' crsRules), sorted by name as Include sorts them. */
function crsFiles(pattern: string): string[] {
  const dir = dirname(pattern);
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.conf')).sort().map((n) => join(dir, n)).filter((f) => statSync(f).isFile());
  } catch {
    return [];
  }
}

/** Id of ModSecurity's recommended body-error rule (modsecurity.conf-recommended); the stage answers it with 400 PCL_WAF_BODY_UNPARSABLE. */
export const BODY_ERROR_RULE_ID = 200002;

/**
 * What ModSecurity's recommended configuration (modsecurity.conf) sets before CRS: engine and
 * body access on and, unless bodyErrors is inspect-raw, rule 200002, which refuses a request
 * whose body the processor could not parse (REQBODY_ERROR), so an unterminated JSON document
 * cannot carry an injection past the rules uninspected.
 */
function preamble(i: RuleSetInputs): string {
  let text = 'SecRequestBodyAccess On\nSecRuleEngine On\n';
  if (i.bodyErrors === 'refuse') {
    text += `SecRule REQBODY_ERROR "!@eq 0" "id:${BODY_ERROR_RULE_ID},phase:2,t:none,log,deny,status:400,` +
      `msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"\n`;
  }
  return text;
}

function settingsAction(i: RuleSetInputs): string {
  const pl = i.paranoiaLevel;
  return `SecAction "id:${SETTINGS_RULE_ID},phase:1,pass,nolog,t:none,` +
    `setvar:tx.blocking_paranoia_level=${pl},setvar:tx.paranoia_level=${pl},` +
    `setvar:tx.inbound_anomaly_score_threshold=${i.inboundAnomalyThreshold},` +
    `setvar:tx.outbound_anomaly_score_threshold=${i.outboundAnomalyThreshold}"\n`;
}

function exclusionDirectives(ex: WafExclusions): string {
  const lines: string[] = [];
  // Values were checked against the schema's safe-token patterns: no quotes or spaces.
  for (const id of ex.removeById ?? []) lines.push(`SecRuleRemoveById ${id}`);
  for (const tag of ex.removeByTag ?? []) lines.push(`SecRuleRemoveByTag "${tag}"`);
  for (const t of ex.removeTargets ?? []) {
    if (t.ruleId === undefined && t.tag === undefined) throw new Error(`waf.exclusions.removeTargets: "${t.target}" needs ruleId or tag`);
    if (t.ruleId !== undefined) lines.push(`SecRuleUpdateTargetById ${t.ruleId} "!${t.target}"`);
    if (t.tag !== undefined) lines.push(`SecRuleUpdateTargetByTag "${t.tag}" "!${t.target}"`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}
