import { setTimeout as sleep } from 'node:timers/promises';
import { answerOf, GatewayError, type ClientErrorCode } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { CidrMatcher } from '../../util/cidr.js';
import { subnetOf } from '../../util/subnet.js';
import { formatCadence, parseCadence, updateCadence } from './cadence.js';
import { numericParam, parseEnumeration, updateEnumeration } from './enumeration.js';
import { compileLadder, durationMs, reachedStep, type Step } from './ladder.js';
import { compileRequestKey } from '../../pipeline/request-key.js';
import { headerOrderOf } from '../../pipeline/header-order.js';
import { loginVerdict, recordLoginFailure, recordLoginSuccess, type LoginKeys } from './login.js';
import type { BotConfig } from './schema.js';
import { compileHeaderSignals, userAgentAllowed } from './signals.js';

export const STAGE_NAME = 'bot';
export const STAGE_ORDER = 200;

/** Options for tests: a fake sleep for the delay action. */
export interface BotStageOptions {
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly now?: () => number;
}

type Source = 'bot' | 'login';

/**
 * Compiles the bot and credential-stuffing stage.
 *
 * - pre-auth: header signals (automation and headless user agents, a browser missing browser
 *   headers) plus stateful ones (too regular a cadence, sequential object ids) make a score; the
 *   `actions` ladder maps it to log / delay / 429 / block / step-up. Requests with credentials and
 *   step-up decisions are settled in the limit phase, after authentication, so allow-listed
 *   principals pass and a verified one-time code satisfies step-up.
 * - inspect (login operations): failed-login counters per IP, subnet, username and distinct
 *   usernames per IP escalate by their ladders.
 * - record (login operations): the upstream's status counts a failure (or clears the username's).
 *
 * @example
 * const stage = createBotStage(config, deps);
 */
export function createBotStage(config: BotConfig, deps: StageDeps, opts: BotStageOptions = {}): Stage {
  const wait = opts.sleep ?? sleep;
  const now = opts.now ?? Date.now;
  const store = deps.store;
  const headerSignals = compileHeaderSignals(config.signals);
  const actions = compileLadder(config.actions);
  const login = config.login;
  const ladders = { perIp: compileLadder(login.perIp), perSubnet: compileLadder(login.perSubnet), perUsername: compileLadder(login.perUsername), distinctUsernamesPerIp: compileLadder(login.distinctUsernamesPerIp) };
  const loginWindowMs = Math.max(1000, durationMs(login.window));
  const enumWindowMs = durationMs(config.signals.enumeration.window);
  const failures = new Set(login.failureStatuses);
  const allowCidrs = new CidrMatcher(config.allow.cidrs);
  const allowPrincipals = new Set(config.allow.principals);
  const allowKeys = new Set(config.allow.apiKeyIds);
  const allowAgents = config.allow.userAgents.map((a) => a.toLowerCase());
  const allowJa4 = new Set(config.allow.ja4);
  const allowOrders = new Set(config.allow.headerOrders);
  const fp = config.signals.fingerprint;
  const denyJa4 = new Set(fp.denyJa4);
  const denyOrders = new Set(fp.denyHeaderOrders);
  const fingerprintAllowed = (ctx: RequestContext) => (ctx.client.ja4 !== undefined && allowJa4.has(ctx.client.ja4)) || (allowOrders.size > 0 && allowOrders.has(headerOrderOf(ctx)));
  const fingerprintDenied = (ctx: RequestContext) => fp.weight > 0 && ((ctx.client.ja4 !== undefined && denyJa4.has(ctx.client.ja4)) || (denyOrders.size > 0 && denyOrders.has(headerOrderOf(ctx))));
  if (login.accountKey !== undefined && login.usernamePointer !== undefined) throw new Error('bot: login.accountKey and login.usernamePointer both name the account; keep one');
  // usernamePointer is the one-part account key `body:POINTER`: one reading of the body for both.
  const accountParts = login.accountKey ?? (login.usernamePointer !== undefined ? [`body:${login.usernamePointer}`] : undefined);
  const accountKey = accountParts === undefined ? undefined : compileRequestKey(accountParts, { ipv6Prefix: 64, apiKeyClaim: config.apiKeyClaim, fold: true });
  const isLogin = deps.operationId !== undefined && (login.operations.includes(deps.operationId) || deps.operation?.extensions['x-portcullis-login'] === true);
  const challenge = `OTP realm="${config.realm ?? deps.apiName}", header="${config.stepUpHeader}", error="step_up_required"`;
  const enforcing = config.mode === 'enforce';

  // Per-request facts between phases; WeakMaps, so nothing outlives its request.
  const allowed = new WeakSet<RequestContext>();
  const pending = new WeakMap<RequestContext, { step: Step; reason: string; ruleIds: readonly string[] }>();
  const loginKeysOf = new WeakMap<RequestContext, LoginKeys>();

  /** Bot state is kept per address (IPv6 per /64: one subscriber). */
  const clientOf = (ctx: RequestContext) => (ctx.client.ip.includes(':') ? subnetOf(ctx.client.ip, 32, 64) : ctx.client.ip);
  const principalAllowed = (ctx: RequestContext): boolean => {
    const p = ctx.principal;
    if (p === undefined) return false;
    const keyId = p.claims[config.apiKeyClaim];
    return allowPrincipals.has(p.id) || (typeof keyId === 'string' && allowKeys.has(keyId));
  };

  /** The refusal `apply` answers a step with now (none for log, delay and a satisfied step-up). */
  const answerFor = (ctx: RequestContext, step: Step): ClientErrorCode | undefined => {
    switch (step.action) {
      case '429': return 'PCL_BOT_THROTTLED';
      case 'block': return 'PCL_BOT_BLOCKED';
      case 'step-up': return ctx.principal?.claims['stepUp'] === 'totp' ? undefined : 'PCL_BOT_STEP_UP_REQUIRED';
      default: return undefined;
    }
  };
  // `answer`: the refusal this step answers with, so the event is the refusal's one event (the
  // gateway's `request.refused` backstop stays silent). A step settled after authentication is
  // published when it is settled, with the answer it then gets.
  const event = (ctx: RequestContext, kind: string, reason: string, step: Step, ruleIds: readonly string[], answer?: ClientErrorCode) => publishSecurityEvent(() => ({
    kind, reason, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
    ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}),
    severity: step.action === 'block' ? 'high' : step.action === 'log' ? 'low' : 'medium',
    stage: STAGE_NAME, ruleIds, enforced: enforcing && step.action !== 'log', ...answerOf(answer, enforcing),
  }));

  const apply = async (ctx: RequestContext, step: Step, source: Source): Promise<Decision> => {
    const internal = `${source} defence: ${step.action} at ${step.at}`;
    switch (step.action) {
      case 'log':
        return CONTINUE;
      case 'delay':
        ctx.findings.push({ stage: STAGE_NAME, code: 'PCL_BOT_THROTTLED', message: `${internal} (${step.delayMs} ms)`, enforced: enforcing });
        if (enforcing) await wait(step.delayMs);
        return CONTINUE;
      case '429':
        return reject(new GatewayError('PCL_BOT_THROTTLED', { stage: STAGE_NAME, headers: { 'retry-after': '60' }, internal }));
      case 'block':
        return reject(new GatewayError('PCL_BOT_BLOCKED', { stage: STAGE_NAME, internal }));
      case 'step-up':
        if (ctx.principal?.claims['stepUp'] === 'totp') return CONTINUE;
        return reject(new GatewayError('PCL_BOT_STEP_UP_REQUIRED', { stage: STAGE_NAME, detail: 'This request requires a current one-time code.', headers: { 'www-authenticate': challenge }, internal }));
    }
  };

  /** The stateful signals; their store failures follow onError. */
  const statefulScore = async (ctx: RequestContext, fired: string[]): Promise<number> => {
    let score = 0;
    const client = clientOf(ctx);
    const s = config.signals;
    if (s.cadence.weight > 0) {
      const key = `bot:cad:${client}`;
      const r = updateCadence(parseCadence(await store.get(key)), now(), s.cadence);
      await store.set(key, formatCadence(r.state), s.cadence.maxIntervalMs);
      if (r.regular) { score += s.cadence.weight; fired.push('regular-cadence'); }
    }
    const id = s.enumeration.weight > 0 ? numericParam(ctx.route.params) : undefined;
    if (id !== undefined) {
      const key = `bot:enum:${client}:${ctx.route.apiName}:${ctx.route.operationId ?? ctx.route.pathTemplate}`;
      const next = updateEnumeration(parseEnumeration(await store.get(key)), id, s.enumeration.maxStep);
      await store.set(key, `${next[0]},${next[1]}`, enumWindowMs);
      if (next[1] >= s.enumeration.threshold) { score += s.enumeration.weight; fired.push('sequential-enumeration'); }
    }
    return score;
  };

  const storeFailed = (ctx: RequestContext, err: unknown): Decision | undefined => {
    if (config.onError === 'fail-closed') {
      return reject(new GatewayError('PCL_BOT_UNAVAILABLE', { stage: STAGE_NAME, headers: { 'retry-after': '1' }, internal: `bot store failed: ${(err as Error).message}` }));
    }
    ctx.findings.push({ stage: STAGE_NAME, code: 'PCL_BOT_UNAVAILABLE', message: 'bot store failed; stateful signals skipped (fail-open)', enforced: false });
    return undefined;
  };

  const preAuth = async (ctx: RequestContext): Promise<Decision> => {
    if (allowCidrs.has(ctx.client.ip) || userAgentAllowed(ctx.headers, allowAgents) || fingerprintAllowed(ctx)) {
      allowed.add(ctx);
      ctx.allowListed = true;
      return CONTINUE;
    }
    const { score: headerScore, fired } = headerSignals(ctx.headers);
    let score = headerScore;
    if (fingerprintDenied(ctx)) { score += fp.weight; fired.push('denied-fingerprint'); }
    try {
      score += await statefulScore(ctx, fired);
    } catch (err) {
      const d = storeFailed(ctx, err);
      if (d !== undefined) return d;
    }
    const step = reachedStep(actions, score);
    if (step === undefined) return CONTINUE;
    // Settled after authentication: an allow-listed principal may be behind it, or a code may satisfy step-up.
    const deferred = step.action !== 'log' && (ctx.credentialed || step.action === 'step-up');
    const reason = fired[0] ?? 'score';
    const ruleIds = fired.slice(0, 5);
    if (deferred) {
      pending.set(ctx, { step, reason, ruleIds });
      return CONTINUE;
    }
    event(ctx, 'bot.detected', reason, step, ruleIds, answerFor(ctx, step));
    if (step.action === 'log') {
      ctx.findings.push({ stage: STAGE_NAME, code: 'bot.detected', message: `bot score ${score}: ${fired.join(', ')}`, enforced: false, ruleIds: fired });
      return CONTINUE;
    }
    return apply(ctx, step, 'bot');
  };

  const afterAuth = (ctx: RequestContext): Decision | Promise<Decision> => {
    const trusted = principalAllowed(ctx);
    if (trusted) ctx.allowListed = true;
    const p = pending.get(ctx);
    if (p === undefined) return CONTINUE;
    pending.delete(ctx);
    event(ctx, 'bot.detected', p.reason, p.step, p.ruleIds, trusted ? undefined : answerFor(ctx, p.step));
    if (trusted) return CONTINUE;
    return apply(ctx, p.step, 'bot');
  };

  /** A detection whose request was refused before it was settled (by authentication, a limit) is still told, without an answer. */
  const unsettled = (ctx: RequestContext): void => {
    const p = pending.get(ctx);
    if (p === undefined) return;
    pending.delete(ctx);
    event(ctx, 'bot.detected', p.reason, p.step, p.ruleIds);
  };

  const inspectLogin = async (ctx: RequestContext): Promise<Decision> => {
    if (allowed.has(ctx) || principalAllowed(ctx)) return CONTINUE;
    const keys: LoginKeys = {
      ip: clientOf(ctx),
      subnet: subnetOf(ctx.client.ip, config.ipv4Subnet, config.ipv6Subnet),
      user: accountKey?.of(ctx),
    };
    loginKeysOf.set(ctx, keys);
    let verdict;
    try {
      verdict = await loginVerdict(store, keys, ladders);
    } catch (err) {
      return storeFailed(ctx, err) ?? CONTINUE;
    }
    const step = verdict.step;
    if (step === undefined) return CONTINUE;
    event(ctx, 'credential-stuffing.detected', verdict.reason ?? 'ip', step, [`login-${verdict.reason ?? 'ip'}`], answerFor(ctx, step));
    return apply(ctx, step, 'login');
  };

  const recordLogin = (ctx: RequestContext, res: ResponseContext): void => {
    const keys = loginKeysOf.get(ctx);
    // The gateway's own answers (this stage's 429, a validation 400) are not login attempts.
    if (keys === undefined || res.generated) return;
    const done = failures.has(res.status) ? recordLoginFailure(store, keys, loginWindowMs) : res.status < 400 ? recordLoginSuccess(store, keys) : undefined;
    done?.catch(() => { /* best effort: a lost count only loosens the defence */ });
  };

  const handlers: Stage['handlers'] = isLogin
    ? { 'pre-auth': preAuth, limit: afterAuth, inspect: inspectLogin, record: (ctx, res) => { unsettled(ctx); recordLogin(ctx, res); } }
    : { 'pre-auth': preAuth, limit: afterAuth, record: unsettled };
  return {
    name: STAGE_NAME, order: STAGE_ORDER, mode: config.mode, onError: config.onError, handlers,
    ...(isLogin && accountKey?.needsBody === true ? { needsRequestBody: true } : {}),
  };
}
