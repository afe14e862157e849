import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema, OnErrorSchema } from '../../config/common.js';
import { KEY_PART_PATTERN, KEY_PARTS_DESCRIPTION } from '../../pipeline/request-key.js';

/** A JA4 fingerprint: `t13d1516h2_8daaf6152771_e5627efa2ab1`. */
const JA4_PATTERN = '^[tqd][0-9sd][0-9a-z][di][0-9]{2}[0-9]{2}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$';
const Duration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

/** What the stage does to a request once a score or a login counter reaches a threshold. */
export const ActionSchema = Type.Union([
  Type.Literal('log'), Type.Literal('delay'), Type.Literal('429'), Type.Literal('block'), Type.Literal('step-up'),
], { description: 'log: event only. delay: hold the request for `delay`, then pass it. 429: PCL_BOT_THROTTLED. block: 403 PCL_BOT_BLOCKED. step-up: 401 PCL_BOT_STEP_UP_REQUIRED with the authn TOTP challenge, passed once the authn stage verified a one-time code.' });

const Step = (what: string) => Type.Object({
  at: Type.Integer({ minimum: 1, description: `${what} at which this step applies (the highest step reached wins).` }),
  action: ActionSchema,
  delay: Duration('1s', 'How long `delay` holds the request (at most 10s).'),
}, { additionalProperties: false });

const Ladder = (what: string, def: unknown[]) => Type.Array(Step(what), { maxItems: 8, default: def, description: `Escalating responses by ${what.toLowerCase()}.` });

/** The declarative signals and their weights; a signal that fires adds its weight to the request's score. */
export const SignalsSchema = Type.Object({
  automationUserAgent: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 60 }),
    patterns: Type.Array(Type.String({ minLength: 2, maxLength: 64 }), { maxItems: 200, default: ['curl/', 'wget/', 'python-requests', 'python-urllib', 'aiohttp', 'httpx', 'go-http-client', 'java/', 'okhttp', 'libwww-perl', 'scrapy', 'node-fetch', 'axios/', 'undici', 'postmanruntime', 'insomnia', 'httpclient', 'sqlmap', 'nikto', 'masscan', 'zgrab', 'nuclei'], description: 'Case-insensitive substrings of User-Agent naming automation tools. A missing User-Agent also fires.' }),
  }, { additionalProperties: false, default: {} }),
  headless: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 80 }),
    patterns: Type.Array(Type.String({ minLength: 2, maxLength: 64 }), { maxItems: 100, default: ['headlesschrome', 'phantomjs', 'puppeteer', 'playwright', 'selenium', 'webdriver', 'slimerjs', 'electron/'], description: 'Case-insensitive substrings of User-Agent (or Sec-CH-UA) that mark a headless or driven browser.' }),
  }, { additionalProperties: false, default: {} }),
  missingBrowserHeaders: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 30 }),
    headers: Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { maxItems: 20, default: ['accept', 'accept-language', 'accept-encoding'], description: 'Headers every real browser sends; the signal fires when a User-Agent claiming a browser (Mozilla/) lacks one.' }),
  }, { additionalProperties: false, default: {} }),
  cadence: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 40 }),
    minRequests: Type.Integer({ minimum: 3, maximum: 1000, default: 10, description: 'Intervals observed before the cadence is judged.' }),
    maxJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Fires when the intervals\' standard deviation is below this fraction of their mean (a script on a timer; people are irregular).' }),
    maxIntervalMs: Type.Integer({ minimum: 10, default: 60_000, description: 'Longer gaps restart the observation.' }),
  }, { additionalProperties: false, default: {} }),
  enumeration: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 60 }),
    threshold: Type.Integer({ minimum: 2, maximum: 100_000, default: 20, description: 'Consecutive requests to neighbouring numeric ids (|step| <= maxStep) in a path parameter before the signal fires (BOLA scraping).' }),
    maxStep: Type.Integer({ minimum: 1, maximum: 1000, default: 2 }),
    window: Duration('10m', 'The run is forgotten after this long without a request.'),
  }, { additionalProperties: false, default: {} }),
  fingerprint: Type.Object({
    weight: Type.Integer({ minimum: 0, maximum: 100, default: 100 }),
    denyJa4: Type.Array(Type.String({ pattern: JA4_PATTERN }), { maxItems: 1000, default: [], description: 'JA4 TLS ClientHello fingerprints of clients to score (a scraping library, a known attack tool). Only requests over the TLS listener carry one.' }),
    denyHeaderOrders: Type.Array(Type.String({ pattern: '^[0-9a-f]{12}$' }), { maxItems: 1000, default: [], description: 'HTTP header-order fingerprints (12 hex characters, see docs/reference/anomaly.md) to score.' }),
  }, { additionalProperties: false, default: {}, description: 'Client software fingerprints on a deny list.' }),
}, { additionalProperties: false, default: {} });

/** Credential-stuffing defence on operations marked as login. */
export const LoginSchema = Type.Object({
  operations: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'operationIds of login operations; operations with `x-portcullis-login: true` count too.' }),
  usernamePointer: Type.Optional(Type.String({ pattern: '^(/[^/]*)*$', description: 'JSON pointer of the username in a JSON body (e.g. /username); a form body uses the last segment as field name. Without it only per-IP and per-subnet counters apply.' })),
  accountKey: Type.Optional(Type.Array(Type.String({ pattern: KEY_PART_PATTERN }), { minItems: 1, maxItems: 8, description: `What the per-username counters (perUsername, distinctUsernamesPerIp) count, instead of usernamePointer: e.g. [body:/email] or [header:x-tenant, body:/username]. ${KEY_PARTS_DESCRIPTION} Values are folded (NFKC, trimmed, lower case).` })),
  failureStatuses: Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { default: [401, 403], description: 'Upstream statuses that count as a failed login.' }),
  window: Duration('15m', 'Failures are counted over this window (from the first failure).'),
  perIp: Ladder('Failed logins from one IP', [{ at: 5, action: 'delay', delay: '1s' }, { at: 20, action: '429' }, { at: 100, action: 'block' }]),
  perSubnet: Ladder('Failed logins from one subnet', [{ at: 50, action: 'delay', delay: '1s' }, { at: 200, action: '429' }]),
  perUsername: Ladder('Failed logins for one username', [{ at: 5, action: 'delay', delay: '2s' }, { at: 10, action: 'step-up' }, { at: 50, action: '429' }]),
  distinctUsernamesPerIp: Ladder('Distinct usernames tried from one IP', [{ at: 5, action: '429' }, { at: 20, action: 'block' }]),
}, { additionalProperties: false, default: {} });

/** The bot stage config (an API's or operation's `stages.bot`). */
export const BotSchema = Type.Object({
  mode: ModeSchema,
  onError: Type.Union(OnErrorSchema.anyOf, { default: 'fail-open', description: 'When the store fails: fail-open (default; the header signals still apply, stateful ones are skipped) or fail-closed (503 PCL_BOT_UNAVAILABLE).' }),
  signals: SignalsSchema,
  actions: Ladder('Score', [{ at: 50, action: 'log' }, { at: 80, action: '429' }, { at: 120, action: 'block' }]),
  login: LoginSchema,
  allow: Type.Object({
    cidrs: Type.Array(Type.String(), { default: [], description: 'Client networks never scored or counted (monitoring, partners).' }),
    principals: Type.Array(Type.String(), { default: [], description: 'Principal ids never acted on (checked after authentication).' }),
    apiKeyIds: Type.Array(Type.String(), { default: [], description: 'API key ids (principal claim `apiKeyClaim`) never acted on.' }),
    userAgents: Type.Array(Type.String({ minLength: 2, maxLength: 128 }), { default: [], description: 'Case-insensitive User-Agent substrings never scored (your own monitoring). Spoofable: pair with cidrs when you can.' }),
    ja4: Type.Array(Type.String({ pattern: JA4_PATTERN }), { maxItems: 1000, default: [], description: 'JA4 TLS fingerprints never scored (your own clients\' TLS stacks). Harder to fake than a User-Agent, but shared by every client of one library.' }),
    headerOrders: Type.Array(Type.String({ pattern: '^[0-9a-f]{12}$' }), { maxItems: 1000, default: [], description: 'HTTP header-order fingerprints never scored.' }),
  }, { additionalProperties: false, default: {} }),
  apiKeyClaim: Type.String({ minLength: 1, default: 'apiKeyId', description: 'Principal claim holding an API key id.' }),
  ipv4Subnet: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'Prefix length of the per-subnet login counter for IPv4.' }),
  ipv6Subnet: Type.Integer({ minimum: 32, maximum: 128, default: 48, description: 'Prefix length of the per-subnet login counter for IPv6 (other bot state is kept per /64).' }),
  stepUpHeader: Type.String({ minLength: 1, default: 'X-Portcullis-OTP', description: 'Header named in the step-up challenge (match the authn stage stepUp.header).' }),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm of the step-up challenge. Default: the API name.' })),
}, { additionalProperties: false });

export type BotConfig = Static<typeof BotSchema>;
export type ActionStep = Static<ReturnType<typeof Step>>;
export type BotAction = Static<typeof ActionSchema>;
