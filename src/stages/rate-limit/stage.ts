import { answerOf, GatewayError, type ClientErrorCode } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { compileLimits, compilePenalty, type CompiledLimit } from './compile.js';
import { ConcurrencyLimiter } from './concurrency.js';
import { limitItem, policyItem, retryAfterSeconds, tightest } from './headers.js';
import { clientKey, ipKey } from './keys.js';
import type { RateLimitConfig } from './schema.js';
import { sharedRateLimitStores, timedCheck } from './shared.js';
import { checkBands, riskFactor, scaleRule } from './risk.js';
import { sharedRiskScores, type RiskScores } from '../../security/risk/index.js';
import type { CheckRequest, CheckResult, LimitCheck, RateLimitStore } from './stores/store.js';

export const STAGE_NAME = 'rate-limit';

/** Options for tests: inject stores instead of deriving them from deps.store. */
export interface RateLimitStageOptions {
  readonly store?: RateLimitStore;
  readonly fallback?: RateLimitStore;
  readonly risk?: RiskScores;
}

/**
 * Compiles the rate-limit stage: limits per API / operation / tag, per client identity, tiers,
 * quotas, progressive penalties and an optional concurrency limit. One store call per phase
 * evaluates all of the request's limits atomically.
 *
 * @example
 * const stage = createRateLimitStage(config, deps);
 */
export function createRateLimitStage(config: RateLimitConfig, deps: StageDeps, opts: RateLimitStageOptions = {}): Stage {
  const limits = compileLimits(config, deps.apiName, deps.operationId);
  const penalty = compilePenalty(config);
  const shared = opts.store === undefined ? sharedRateLimitStores(deps.store, config.maxKeys) : undefined;
  const store = opts.store ?? shared!.primary;
  const fallback = opts.fallback ?? shared!.fallback;
  const concurrency = config.concurrency === undefined ? undefined : new ConcurrencyLimiter(deps.store, config.concurrency.limit, config.concurrency.leaseSeconds * 1000);
  const penaltyId = `${deps.apiName}:penalty`;
  const bands = [...config.risk.bands].sort((a, b) => a.score - b.score);
  checkBands(bands, config.risk.floor);
  const risk = config.risk.enabled ? (opts.risk ?? sharedRiskScores(deps.store)) : undefined;
  const preAuth = limits.filter((l) => l.phase === 'pre-auth' && l.key === undefined);
  const inLimit = limits.filter((l) => l.phase === 'limit' && l.key === undefined);
  const keyed = { 'pre-auth': limits.filter((l) => l.phase === 'pre-auth' && l.key !== undefined), limit: limits.filter((l) => l.phase === 'limit' && l.key !== undefined), inspect: limits.filter((l) => l.phase === 'inspect') };
  const keyOpts = { ipv6Prefix: config.ipv6Prefix, apiKeyClaim: config.apiKeyClaim };
  const held = new WeakMap<RequestContext, string>();
  // Headers already written by the pre-auth phase, so the limit phase keeps the tighter one.
  const written = new WeakMap<RequestContext, { policies: string[]; remaining: number }>();

  const event = (ctx: RequestContext, kind: string, reason: string, severity: 'low' | 'medium' | 'high', ruleIds?: readonly string[], answer?: ClientErrorCode) => publishSecurityEvent(() => ({
    kind, reason, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip, ...answerOf(answer),
    ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}), severity, stage: STAGE_NAME,
    ...(ruleIds !== undefined ? { ruleIds } : {}),
  }));

  const run = async (ctx: RequestContext, selected: readonly CompiledLimit[], scope: string, withPenalty = true): Promise<Decision> => {
    const tier = ctx.principal?.claims[config.tierClaim];
    // A risky client (other stages' security events) gets every limit scaled down by its band's factor.
    const band = risk === undefined ? { index: -1, factor: 1 } : await riskFactor(risk, ctx, bands);
    const checks: LimitCheck[] = selected.map((l) => ({ id: l.id, rule: scaleRule((typeof tier === 'string' ? l.tiers.get(tier) : undefined) ?? l.rule, band.factor), cost: l.cost }));
    const request: CheckRequest = { scope, limits: checks, penalty: penalty === undefined || !withPenalty ? undefined : { id: penaltyId, rule: penalty } };
    let result: CheckResult;
    try {
      result = await timedCheck(store, request, band.index);
    } catch (err) {
      event(ctx, 'ratelimit.store-error', 'store-unavailable', 'medium');
      if (selected.some((l) => !l.failOpen)) {
        return reject(new GatewayError('PCL_RATE_LIMIT_UNAVAILABLE', { stage: STAGE_NAME, headers: { 'retry-after': '1' }, internal: `rate-limit store failed: ${(err as Error).message}` }));
      }
      ctx.findings.push({ stage: STAGE_NAME, code: 'PCL_RATE_LIMIT_UNAVAILABLE', message: 'rate-limit store failed; fail-open limits evaluated locally', enforced: false });
      result = await fallback.check(request);
    }
    if (result.penalty?.blocked === true && result.decisions.length === 0) {
      event(ctx, 'ratelimit.penalty', 'blocked', 'medium', undefined, 'PCL_RATE_LIMIT_PENALTY');
      return reject(new GatewayError('PCL_RATE_LIMIT_PENALTY', { stage: STAGE_NAME, headers: { 'retry-after': retryAfterSeconds(result.penalty.retryAfterMs) }, internal: `penalty block, ${result.penalty.strikes} strikes` }));
    }
    const i = tightest(selected, result.decisions);
    if (i >= 0) {
      const d = result.decisions[i]!;
      const l = selected[i]!;
      const quota = checks[i]!.rule.limit;
      const policies = selected.map((s, j) => policyItem(s.name, checks[j]!.rule.limit, s.windowSeconds));
      const before = written.get(ctx);
      if (before === undefined || !d.allowed || d.remaining < before.remaining) {
        ctx.responseHeaders['ratelimit-policy'] = [...(before?.policies ?? []), ...policies].join(', ');
        ctx.responseHeaders.ratelimit = limitItem(l.name, d.remaining, d.resetMs);
        written.set(ctx, { policies, remaining: d.remaining });
      } else {
        ctx.responseHeaders['ratelimit-policy'] = [...before.policies, ...policies].join(', ');
      }
      if (!result.allowed) {
        const blocked = result.penalty?.blocked === true;
        event(ctx, blocked ? 'ratelimit.penalty' : 'ratelimit.exceeded', l.name, blocked ? 'medium' : 'low', band.index >= 0 ? [`risk-band-${band.index}`] : undefined, blocked ? 'PCL_RATE_LIMIT_PENALTY' : 'PCL_RATE_LIMITED');
        const wait = blocked ? Math.max(result.penalty!.retryAfterMs, d.retryAfterMs) : d.retryAfterMs;
        return reject(new GatewayError(blocked ? 'PCL_RATE_LIMIT_PENALTY' : 'PCL_RATE_LIMITED', {
          stage: STAGE_NAME,
          headers: { 'retry-after': retryAfterSeconds(wait) },
          internal: `limit "${l.name}" (${quota}/${l.windowSeconds}s) exceeded by ${scope}`,
        }));
      }
    }
    return CONTINUE;
  };

  const applicable = (selected: readonly CompiledLimit[], authenticated: boolean) =>
    selected.filter((l) => l.appliesTo === 'all' || (l.appliesTo === 'authenticated') === authenticated);

  /** Limits with their own key: one store call per limit (each has its own scope); a request lacking a key part is not counted. */
  const runKeyed = async (ctx: RequestContext, selected: readonly CompiledLimit[]): Promise<Decision> => {
    for (const l of selected) {
      const scope = l.key!.of(ctx);
      if (scope === undefined) continue;
      const d = await run(ctx, [l], scope, false);
      if (d.kind !== 'continue') return d;
    }
    return CONTINUE;
  };

  const handlers: Stage['handlers'] = {};
  const mutable = handlers as Record<string, unknown>;
  if (preAuth.length > 0 || keyed['pre-auth'].length > 0) {
    mutable['pre-auth'] = async (ctx: RequestContext): Promise<Decision> => {
      const own = applicable(preAuth, false);
      if (own.length > 0) {
        const d = await run(ctx, own, ipKey(ctx, config.ipv6Prefix));
        if (d.kind !== 'continue') return d;
      }
      return runKeyed(ctx, applicable(keyed['pre-auth'], false));
    };
  }
  if (keyed.inspect.length > 0) {
    mutable.inspect = (ctx: RequestContext) => runKeyed(ctx, applicable(keyed.inspect, ctx.principal !== undefined));
  }
  if (inLimit.length > 0 || keyed.limit.length > 0 || concurrency !== undefined) {
    mutable.limit = async (ctx: RequestContext): Promise<Decision> => {
      if (keyed.limit.length > 0) {
        const d = await runKeyed(ctx, applicable(keyed.limit, ctx.principal !== undefined));
        if (d.kind !== 'continue') return d;
      }
      const who = clientKey(ctx, keyOpts);
      const authenticated = ctx.principal !== undefined;
      const selected = applicable(inLimit, authenticated);
      if (selected.length > 0) {
        const d = await run(ctx, selected, who.key);
        if (d.kind !== 'continue') return d;
      }
      if (concurrency !== undefined) {
        let ok: boolean;
        try {
          ok = await concurrency.acquire(who.key);
        } catch (err) {
          if (config.onError === 'fail-open') return CONTINUE;
          return reject(new GatewayError('PCL_RATE_LIMIT_UNAVAILABLE', { stage: STAGE_NAME, headers: { 'retry-after': '1' }, internal: `concurrency store failed: ${(err as Error).message}` }));
        }
        if (!ok) {
          event(ctx, 'ratelimit.exceeded', 'concurrency', 'low', undefined, 'PCL_RATE_LIMITED');
          return reject(new GatewayError('PCL_RATE_LIMITED', { stage: STAGE_NAME, headers: { 'retry-after': '1' }, internal: `more than ${concurrency.limit} requests in flight for ${who.key}` }));
        }
        held.set(ctx, who.key);
      }
      return CONTINUE;
    };
  }
  if (concurrency !== undefined) {
    mutable.record = (ctx: RequestContext) => {
      const key = held.get(ctx);
      if (key === undefined) return;
      held.delete(ctx);
      concurrency.release(key).catch(() => { /* the lease TTL frees the slot */ });
    };
  }

  return { name: STAGE_NAME, order: 400, mode: config.mode, onError: config.onError, handlers, ...(keyed.inspect.length > 0 ? { needsRequestBody: true } : {}) };
}
