import diagnostics_channel from 'node:diagnostics_channel';
import { redactSensitive } from '../data-protection/redact.js';

/**
 * Every diagnostics_channel name Portcullis publishes on. Stages publish;
 * logging, metrics, audit and the dashboard subscribe. Stages never import those.
 */
export const CHANNELS = {
  stageDecision: 'portcullis:stage:decision',
  stageError: 'portcullis:stage:error',
  requestEnd: 'portcullis:request:end',
  upstreamError: 'portcullis:proxy:upstreamError',
  circuitState: 'portcullis:proxy:circuitState',
  configReload: 'portcullis:config:reload',
  clientError: 'portcullis:server:clientError',
  adminAction: 'portcullis:admin:action',
  securityEvent: 'portcullis:security:event',
  wafRuleSet: 'portcullis:waf:ruleSet',
  riskScore: 'portcullis:risk:score',
  rateLimitStore: 'portcullis:ratelimit:store',
  lifecycleUse: 'portcullis:lifecycle:use',
  overloadShed: 'portcullis:overload:shed',
  anomalyState: 'portcullis:anomaly:state',
} as const;

export interface StageDecisionMessage { requestId: string; stage: string; decision: 'reject' | 'respond'; code: string; enforced: boolean }
export interface StageErrorMessage { requestId: string; stage: string; error: unknown }
export interface UpstreamErrorMessage { requestId: string; api: string; code: string; reason: string; client?: string; operationId?: string | undefined }
export interface CircuitStateMessage { api: string; state: 'open' | 'half-open' | 'closed' }
export interface ConfigReloadMessage { ok: boolean; reason: string; error?: string; durationMs: number }
/** One call to the admin API, allowed or refused. */
export interface AdminActionMessage { action: string; ok: boolean; peer: string; requestId: string }
export interface ClientErrorMessage { code: string; peer: string }
/** A security-relevant decision (DESIGN.md "Security event"): logs, metrics, alerts and audit subscribe. */
export interface SecurityEventMessage {
  /** e.g. 'authn.failure', 'authn.success'. */
  kind: 'authn.failure' | 'authn.success' | (string & {});
  /** Stable internal reason code (never sent to the client), e.g. 'expired', 'bad_signature'. */
  reason: string;
  requestId: string;
  api: string;
  operationId: string | undefined;
  /** The client address. */
  client: string;
  /** The principal id, when one is known. */
  principal?: string;
  /** The security scheme (credential method) concerned. */
  scheme?: string;
  severity: 'info' | 'low' | 'medium' | 'high';
  /** The stage that raised it (e.g. 'authn', 'waf', 'authz', 'rate-limit'). */
  stage?: string;
  /** Rule ids that decided it (WAF rule ids, authorization rule names). */
  ruleIds?: readonly string[];
  /** A short, redacted excerpt of what matched (never a secret, never more than a few hundred characters). */
  excerpt?: string;
  /** Whether the request was refused because of it (false in monitor / detection-only mode). */
  enforced?: boolean;
  /** The request method, when the event is about one request. */
  method?: string;
  /** The request path and query (sensitive query values redacted, at most 2 KiB), when the event is about one request. */
  path?: string;
  /** The HTTP status the client was (or is being) answered with, when known at publication. */
  status?: number;
  /** The public problem code the client got (or the finding's code), when there is one. */
  code?: string;
  /**
   * True when the event did not change (and would not have changed) the request's outcome, e.g. a WAF
   * rule match below the anomaly threshold: logged at debug rather than warn; still published, counted
   * and audited like any other event.
   */
  routine?: boolean;
  /**
   * Set on a summary a sampled SIEM sink sends instead of a flood (kind `events.suppressed`, reason =
   * the suppressed events' kind): how many events of that kind, client and operation it left out.
   */
  suppressed?: number;
  /**
   * Set on an event that stands for several requests of one client (kind `overload.shed`: the
   * requests shed in one interval, ADR 0032): how many. Absent: one.
   */
  count?: number;
  /** The SHA-256 (hex) of the file the event is about (uploads), never its content. */
  sha256?: string;
  /** The malware signature that matched (uploads: clamd's name for it). */
  signature?: string;
  /** When it happened (ISO 8601 UTC, milliseconds); set by `publishSecurityEvent` when the publisher leaves it out. */
  time: string;
}
/** What a publisher builds: the message, with `time` optional (stamped on publish). */
export type SecurityEventInput = Omit<SecurityEventMessage, 'time'> & { time?: string };
/** A client's risk score was raised by a security event (src/security/risk). */
export interface RiskScoreMessage {
  /** Whose score: a client address or a principal (never the value itself: it may be personal). */
  subject: 'ip' | 'principal';
  /** The event kind that raised it. */
  kind: string;
  points: number;
  /** The score after the raise. */
  score: number;
}
/** One rate-limit store call (one per limited request and phase). */
export interface RateLimitStoreMessage {
  /** memory | redis | cluster (the primary-hosted store of `--workers`). */
  backend: string;
  ok: boolean;
  durationS: number;
  /** Index of the risk band that tightened the limits, or -1. */
  riskBand: number;
}
/**
 * A write of anomaly client state that did not go as planned: `conflict`, another instance wrote
 * first and this one merged into its value; `lost`, request updates given up (the store failed, or
 * the slot was forgotten while its writes still conflicted).
 */
export interface AnomalyStateMessage {
  outcome: 'conflict' | 'lost';
  /** Conflicts: 1 per failed compare-and-set; lost: the request updates given up. */
  count: number;
}
/** A WAF rule set was compiled (once per distinct settings per config load), with the patterns it could not run as written. */
export interface WafRuleSetMessage {
  rules: number;
  reports: readonly { ruleId: number; file: string; line: number; kind: 'disabled' | 'approximated'; reason: string }[];
}
/** One per finished request: everything the access log and metrics need. */
export interface RequestEndMessage {
  requestId: string;
  method: string;
  path: string;
  api: string;
  operationId: string;
  status: number;
  /** Seconds from arrival to the end of the response. */
  durationS: number;
  /** Seconds waiting for the upstream's response head; undefined when the upstream was not called. */
  upstreamS: number | undefined;
  bytesIn: number;
  bytesOut: number;
  client: string;
  /** 'allowed' | 'rejected' | 'refused' (by the HTTP layer) | 'answered' | 'monitored' | 'upstream-error' */
  decision: string;
  code: string | undefined;
  stage: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  userAgent: string | undefined;
  /**
   * The request body when the gateway read it whole (buffered for a stage or for forwarding), for
   * the inventory's field-name observation only: subscribers must never log or store it.
   */
  requestBody?: Buffer;
}

/**
 * Requests shed by overload protection over one interval (ADR 0032): refused before any
 * per-request record was built, so they are published in aggregate, with exact counts.
 */
export interface ShedBatchMessage {
  /** Start and end of the interval (ms since the epoch). */
  fromMs: number;
  toMs: number;
  /** Requests shed in the interval (the sum of `byMethod` and of `byClient`). */
  count: number;
  /** By request method (a fixed set, OTHER for the rest). */
  byMethod: Readonly<Record<string, number>>;
  /** By client address; past a bound, the rest under "*". */
  byClient: ReadonlyMap<string, number>;
}

/** A call to a deprecated (or sunset, or retired) API or operation: who still uses it (src/stages/lifecycle). */
export interface LifecycleUseMessage {
  api: string;
  operationId: string | undefined;
  /** The principal id when authenticated, else the client address. */
  client: string;
  state: 'deprecated' | 'sunset' | 'retired';
}

const stageDecision = diagnostics_channel.channel(CHANNELS.stageDecision);
const stageError = diagnostics_channel.channel(CHANNELS.stageError);
const requestEnd = diagnostics_channel.channel(CHANNELS.requestEnd);
const upstreamError = diagnostics_channel.channel(CHANNELS.upstreamError);
const circuitState = diagnostics_channel.channel(CHANNELS.circuitState);
const configReload = diagnostics_channel.channel(CHANNELS.configReload);
const clientError = diagnostics_channel.channel(CHANNELS.clientError);
const adminAction = diagnostics_channel.channel(CHANNELS.adminAction);
const securityEvent = diagnostics_channel.channel(CHANNELS.securityEvent);
const wafRuleSet = diagnostics_channel.channel(CHANNELS.wafRuleSet);
const riskScore = diagnostics_channel.channel(CHANNELS.riskScore);
const rateLimitStore = diagnostics_channel.channel(CHANNELS.rateLimitStore);
const lifecycleUse = diagnostics_channel.channel(CHANNELS.lifecycleUse);
const overloadShed = diagnostics_channel.channel(CHANNELS.overloadShed);
const anomalyState = diagnostics_channel.channel(CHANNELS.anomalyState);

// hasSubscribers checks keep the hot path free of message allocation when nobody listens.
export function publishStageDecision(m: StageDecisionMessage): void { if (stageDecision.hasSubscribers) stageDecision.publish(m); }
export function publishStageError(m: StageErrorMessage): void { if (stageError.hasSubscribers) stageError.publish(m); }
export function publishRequestEnd(build: () => RequestEndMessage): void { if (requestEnd.hasSubscribers) requestEnd.publish(build()); }
export function publishUpstreamError(m: UpstreamErrorMessage): void { if (upstreamError.hasSubscribers) upstreamError.publish(m); }
export function publishCircuitState(m: CircuitStateMessage): void { if (circuitState.hasSubscribers) circuitState.publish(m); }
export function publishConfigReload(m: ConfigReloadMessage): void { if (configReload.hasSubscribers) configReload.publish(m); }
export function publishClientError(m: ClientErrorMessage): void { if (clientError.hasSubscribers) clientError.publish(m); }
export function publishAdminAction(m: AdminActionMessage): void { if (adminAction.hasSubscribers) adminAction.publish(m); }
/**
 * Requests in flight, by id: what an event about one of them is missing (method, path) is filled
 * in here, so every stage's event can be traced to its exchange from the event stream alone
 * (OWASP API10) without each stage repeating it. Set when the exchange is routed, removed when it ends.
 */
const inFlight = new Map<string, { readonly method: string; readonly path: string; answered: boolean }>();
export function trackRequest(id: string, method: string, path: string): void {
  if (!securityEvent.hasSubscribers) return;
  // A safety valve, never reached while every exchange ends: the map stays bounded whatever happens.
  if (inFlight.size >= 100_000) inFlight.clear();
  inFlight.set(id, { method, path, answered: false });
}
export function untrackRequest(id: string): void { inFlight.delete(id); }
/**
 * Whether an event carrying the answer (`status`) was published for this request in flight: the
 * refusal path publishes one of its own for a stage refusal that has none (every refusal an event).
 */
export function answerPublished(id: string): boolean { return inFlight.get(id)?.answered === true; }

/** The longest excerpt an event carries: every detector runs over it, so its cost is bounded whatever a publisher passes. */
export const MAX_EXCERPT = 1024;

/**
 * `excerpt` cut to {@link MAX_EXCERPT} characters. A value cut in two by the limit might no longer
 * look like what it is (12 digits of a card are not a card to the detector), so the token the cut
 * ends in, and digits and separators before it, are dropped rather than kept unredacted.
 */
export function boundExcerpt(excerpt: string): string {
  if (excerpt.length <= MAX_EXCERPT) return excerpt;
  let end = MAX_EXCERPT;
  // Walked back by hand (an anchored regex would retry from every position of a long run): first
  // the cut word or token, then digits with their separators (the rest of a spaced card number).
  while (end > 0 && TOKEN_CHAR.test(excerpt[end - 1]!)) end--;
  while (end > 0 && DIGIT_RUN_CHAR.test(excerpt[end - 1]!)) end--;
  return `${excerpt.slice(0, end)}…`;
}
const TOKEN_CHAR = /[\w+/=.@:%-]/;
const DIGIT_RUN_CHAR = /[\d\s-]/;

export function publishSecurityEvent(build: () => SecurityEventInput): void {
  if (!securityEvent.hasSubscribers) return;
  const m = build();
  const r = m.requestId === '' ? undefined : inFlight.get(m.requestId);
  if (r !== undefined) {
    if (m.method === undefined) { m.method = r.method; m.path = r.path; }
    if (m.status !== undefined) r.answered = true;
  }
  // Stamped here, once, so every subscriber (log, SIEM sink, alert window) sees the same instant.
  if (m.time === undefined) m.time = isoNow();
  // Excerpts quote client or upstream data: sensitive values are redacted before any subscriber sees them.
  if (m.excerpt !== undefined) m.excerpt = redactSensitive(boundExcerpt(m.excerpt));
  securityEvent.publish(m);
}
let isoMs = -1;
let isoText = '';
/** `new Date().toISOString()`, formatted once per millisecond: events come with every request of a chain with authn or authz. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) { isoMs = ms; isoText = new Date(ms).toISOString(); }
  return isoText;
}
export function publishRiskScore(m: RiskScoreMessage): void { if (riskScore.hasSubscribers) riskScore.publish(m); }
export function publishRateLimitStore(build: () => RateLimitStoreMessage): void { if (rateLimitStore.hasSubscribers) rateLimitStore.publish(build()); }
export function publishLifecycleUse(m: LifecycleUseMessage): void { if (lifecycleUse.hasSubscribers) lifecycleUse.publish(m); }
export function publishShedBatch(m: ShedBatchMessage): void { if (overloadShed.hasSubscribers) overloadShed.publish(m); }
export function publishAnomalyState(m: AnomalyStateMessage): void { if (anomalyState.hasSubscribers) anomalyState.publish(m); }
export function publishWafRuleSet(m: WafRuleSetMessage): void { if (wafRuleSet.hasSubscribers) wafRuleSet.publish(m); }
