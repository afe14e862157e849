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

/** Response inspection: CRS's phase 3-4 rules (RESPONSE-95x data leakage, outbound anomaly score 959100). */
export const WafResponseSchema = Type.Object({
  inspect: Type.Union([Type.Literal('buffered'), Type.Literal('always'), Type.Literal('off')], {
    default: 'buffered',
    description: "buffered = run phases 3 and 4 on every response: the body rules see the body when the operation's response is buffered anyway (another stage reads it, e.g. response-filter), else only the status and headers are inspected; always = buffer the response body (up to maxBodyBytes) for the WAF; off = requests only.",
  }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: 524_288, description: "Largest response body the rules inspect (ModSecurity's SecResponseBodyLimit default, 512 KiB). With inspect: always a larger body is not buffered and streams uninspected (its headers are still inspected); a larger body buffered by another stage is inspected up to this many bytes (ModSecurity's ProcessPartial)." }),
  mimeTypes: Type.Array(Type.String({ minLength: 1 }), {
    default: ['text/plain', 'text/html', 'text/xml', 'application/json'],
    description: "Response media types whose body the rules see (ModSecurity's SecResponseBodyMimeType); other bodies are not inspected.",
  }),
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
  outboundAnomalyThreshold: Type.Integer({ minimum: 1, default: 4, description: 'CRS outbound anomaly score at which a response is blocked (rule 959100; see response).' }),
  exclusions: ExclusionsSchema,
  maxInspectBytes: Type.Integer({ minimum: 0, default: 131_072, description: 'Largest request body the rules inspect (ModSecurity\'s SecRequestBodyNoFilesLimit default, 128 KiB). Rule evaluation is linear in the body size but costs CPU on the event loop: raise it only for operations that need it.' }),
  oversize: Type.Union([Type.Literal('block'), Type.Literal('partial')], { default: 'block', description: 'A body above maxInspectBytes: block = 413 PCL_BODY_TOO_LARGE (fail closed); partial = inspect only its first maxInspectBytes bytes (ModSecurity ProcessPartial).' }),
  bodyErrors: Type.Union([Type.Literal('refuse'), Type.Literal('inspect-raw')], {
    default: 'refuse',
    description: "A request body its Content-Type's processor cannot parse (invalid or unterminated JSON, JSON nested past 1024 levels, malformed XML or multipart): refuse = 400 PCL_WAF_BODY_UNPARSABLE (ModSecurity's recommended rule 200002 on REQBODY_ERROR, loaded before the CRS setup); inspect-raw = no refusal: the rules see the unparsed body only as REQUEST_BODY and the request goes on if nothing else matches.",
  }),
  response: WafResponseSchema,
  customRules: Type.String({ default: '', description: 'SecLang loaded after the CRS setup and before the CRS rules: your own SecRule/SecAction directives (ids 1-99999 are the local range), including ctl: exclusions at phase 1.' }),
}, { additionalProperties: false });

export type WafConfig = Static<typeof WafSchema>;
export type WafExclusions = Static<typeof ExclusionsSchema>;
export type WafResponseConfig = Static<typeof WafResponseSchema>;
