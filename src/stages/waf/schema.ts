import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

// Values that end up inside generated SecLang: no quotes, backslashes, whitespace or commas,
// so a config value can never break out of the directive it is written into.
const SAFE_TOKEN = '^[^"\'\\\\\\s,]+$';
const RuleIdRange = Type.Union([
  Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  Type.String({ pattern: '^[0-9]{1,10}(-[0-9]{1,10})?$' }),
], { description: 'A rule id (942100) or an inclusive range ("942100-942199").' });

/** One target exclusion: the rule(s) stop inspecting `target` (ModSecurity's SecRuleUpdateTargetById/ByTag with `!`). */
export const RemoveTargetSchema = Type.Object({
  ruleId: Type.Optional(RuleIdRange),
  tag: Type.Optional(Type.String({ pattern: SAFE_TOKEN, description: 'Every rule carrying this tag (e.g. attack-sqli).' })),
  target: Type.String({
    pattern: '^[A-Za-z_]+(:[^"\'\\\\\\s,|]+)?$',
    description: 'The variable to stop inspecting: ARGS:password, REQUEST_COOKIES:session, ARGS:/^json\\.note/ (regex key), REQUEST_HEADERS:referer.',
  }),
}, { additionalProperties: false });

/** Rule exclusions applied after the rules are loaded (CRS's RESPONSE-999 "after CRS" style). */
export const ExclusionsSchema = Type.Object({
  removeById: Type.Array(RuleIdRange, { default: [], description: 'Rules removed entirely, by id or id range.' }),
  removeByTag: Type.Array(Type.String({ pattern: SAFE_TOKEN }), { default: [], description: 'Rules removed entirely, by tag (e.g. attack-xss, paranoia-level/2).' }),
  removeTargets: Type.Array(RemoveTargetSchema, { default: [], description: 'Variables some rules stop inspecting; each entry names ruleId or tag.' }),
}, { additionalProperties: false, default: {} });

/** The WAF stage config (an API's or operation's `stages.waf`). */
export const WafSchema = Type.Object({
  mode: ModeSchema,
  enabled: Type.Boolean({ default: true, description: 'false turns the stage off for this API or operation (same as mode: off), e.g. in an operation override.' }),
  crsDir: Type.Optional(Type.String({ minLength: 1, description: 'A Core Rule Set folder: loads its crs-setup.conf (or crs-setup.conf.example) and then rules/*.conf. Debian 12: /usr/share/modsecurity-crs (its setup file, /etc/modsecurity/crs/crs-setup.conf, is found automatically). Relative paths resolve against the config file.' })),
  setupFile: Type.Optional(Type.String({ minLength: 1, description: 'The CRS setup file to load before the rules; default: found in crsDir.' })),
  ruleFiles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'More SecLang files or globs (rules/*.conf), loaded after the CRS rules, in order. With no crsDir these are the whole rule set.' }),
  paranoiaLevel: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'CRS (blocking) paranoia level: 1 few false positives ... 4 very strict. Sets tx.blocking_paranoia_level (CRS 4) and tx.paranoia_level (CRS 3).' }),
  inboundAnomalyThreshold: Type.Integer({ minimum: 1, default: 5, description: 'CRS inbound anomaly score at which a request is blocked (one critical match scores 5).' }),
  outboundAnomalyThreshold: Type.Integer({ minimum: 1, default: 4, description: 'CRS outbound anomaly score threshold (response rules; the stage inspects requests only, so this only matters to custom phase-1/2 logic reading it).' }),
  exclusions: ExclusionsSchema,
  maxInspectBytes: Type.Integer({ minimum: 0, default: 131_072, description: 'Largest request body the rules inspect (ModSecurity\'s SecRequestBodyNoFilesLimit default, 128 KiB). Rule evaluation is linear in the body size but costs CPU on the event loop: raise it only for operations that need it.' }),
  oversize: Type.Union([Type.Literal('block'), Type.Literal('partial')], { default: 'block', description: 'A body above maxInspectBytes: block = 413 PCL_BODY_TOO_LARGE (fail closed); partial = inspect only its first maxInspectBytes bytes (ModSecurity ProcessPartial).' }),
  customRules: Type.String({ default: '', description: 'SecLang loaded after the CRS setup and before the CRS rules: your own SecRule/SecAction directives (ids 1-99999 are the local range), including ctl: exclusions at phase 1.' }),
}, { additionalProperties: false });

export type WafConfig = Static<typeof WafSchema>;
export type WafExclusions = Static<typeof ExclusionsSchema>;
