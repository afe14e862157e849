import type { CelInput } from '@bufbuild/cel';
import { answerOf, GatewayError } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { forgetResponseJson, replaceResponseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { allHold } from '../../policy/cel.js';
import { compilePolicy, type CompiledRule } from './policy.js';
import { checkResponse } from './response-check.js';
import type { AuthzConfig } from './schema.js';
import { principalVar, requestVar } from '../../policy/variables.js';

const NAME = 'authz';
const ORDER = 600;
/** The one public message of every denial: which rule refused is for events and logs only. */
const DETAIL = 'You are not allowed to perform this operation on this resource.';

/** Request headers removed on operations with response rules, so the upstream always sends the whole body. */
const UNCONDITIONAL = Object.freeze({ 'if-none-match': null, 'if-modified-since': null, range: null, 'if-range': null });
const CONDITIONAL = Object.keys(UNCONDITIONAL);

/** Why a request was refused (the security event `reason`). */
export type DenyReason = 'deny_rule' | 'no_rule_allowed' | 'default_deny' | 'admin_operation' | 'response_check';

/**
 * Compiles the authorization of one operation: deny rules, then RBAC grants and allow rules
 * (first match wins), then `defaultDeny` for operations no rule targets; on the way back,
 * ownership checks over the upstream's JSON. Every decision records the rule that made it
 * in `ctx.findings` and in an `authz.success` / `authz.denied` security event.
 *
 * @example
 * const stage = createAuthzStage(cfg, deps); // cfg.rules = [{ id: 'self', when: 'request.params.userId == principal.id' }]
 */
export function createAuthzStage(cfg: AuthzConfig, deps: StageDeps): Stage {
  const op = deps.operation;
  const tags = op?.tags ?? [];
  const admin = op?.extensions?.[cfg.adminExtension] === true || tags.some((t) => cfg.adminTags.includes(t));
  const policy = compilePolicy(cfg, { operationId: deps.operationId, tags, admin, ...(op === undefined ? {} : { schemas: { requestBody: op.requestBody, responses: op.responses } }) });
  const enforce = cfg.mode === 'enforce';
  const untargeted: { reason: DenyReason; id: string } | undefined = policy.allow.length > 0
    ? undefined
    : admin ? { reason: 'admin_operation', id: 'admin-default-deny' } : cfg.defaultDeny ? { reason: 'default_deny', id: 'default-deny' } : undefined;

  const record = (ctx: RequestContext, allowed: boolean, reason: string, ruleIds: readonly string[], message: string): void => {
    ctx.findings.push({ stage: NAME, code: allowed ? 'authz.allowed' : 'authz.denied', message, enforced: enforce, ruleIds });
    publishSecurityEvent(() => ({
      kind: allowed ? 'authz.success' : 'authz.denied', reason, requestId: ctx.id, api: deps.apiName, operationId: deps.operationId,
      client: ctx.client.ip, severity: allowed ? 'info' : 'medium', stage: NAME, ruleIds, enforced: !allowed && enforce,
      ...answerOf(allowed ? undefined : 'PCL_AUTHZ_DENIED', enforce),
      ...(ctx.principal === undefined ? {} : { principal: ctx.principal.id }),
    }));
  };
  const deny = (ctx: RequestContext, reason: DenyReason, ruleIds: readonly string[], message: string): Decision => {
    record(ctx, false, reason, ruleIds, message);
    return reject(new GatewayError('PCL_AUTHZ_DENIED', { detail: DETAIL, stage: NAME, internal: `${reason}: ${ruleIds.join(', ')}: ${message}` }));
  };

  const authorize = (ctx: RequestContext): Decision => {
    // Ownership is checked on a full body: no 304 or 206 that would skip the check.
    if (policy.response.length > 0 && CONDITIONAL.some((h) => ctx.headers[h] !== undefined)) ctx.upstreamHeaders = { ...ctx.upstreamHeaders, ...UNCONDITIONAL };
    const roles = ctx.principal?.roles ?? [];
    // Built on first use: pure RBAC decisions never pay for the CEL variables.
    let built: Record<string, CelInput> | undefined;
    const vars = () => (built ??= { principal: principalVar(ctx.principal), request: requestVar(ctx, policy.requestFields) });
    const facts = { ctx };
    for (const rule of policy.deny) {
      if (!appliesTo(rule, roles)) continue;
      const r = allHold(rule.when, facts, vars);
      if (r !== false) return deny(ctx, 'deny_rule', [rule.id], r === true ? 'deny rule matched' : `deny rule failed to evaluate (${r})`);
    }
    if (untargeted !== undefined) return deny(ctx, untargeted.reason, [untargeted.id], 'no rule targets this operation');
    const tried: string[] = [];
    for (const rule of policy.allow) {
      if (!appliesTo(rule, roles)) continue;
      if (allHold(rule.when, facts, vars) === true) {
        record(ctx, true, 'allow_rule', [rule.id], 'allowed');
        return CONTINUE;
      }
      tried.push(rule.id);
    }
    if (policy.allow.length === 0) {
      record(ctx, true, 'no_rule', [], 'no rule targets this operation and defaultDeny is off');
      return CONTINUE;
    }
    return deny(ctx, 'no_rule_allowed', tried.length > 0 ? tried : policy.allow.map((r) => r.id), 'no allow rule matched');
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (res.generated) return CONTINUE;
    const roles = ctx.principal?.roles ?? [];
    const rules = policy.response.filter((r) => appliesTo(r, roles));
    if (rules.length === 0) return CONTINUE;
    const outcome = checkResponse(rules, res, ctx, () => ({ principal: principalVar(ctx.principal), request: requestVar(ctx, policy.responseRequestFields) }));
    if (outcome.kind === 'ok') return CONTINUE;
    if (outcome.kind === 'filtered') {
      record(ctx, false, 'response_filtered', outcome.ruleIds, `${outcome.removed} list element(s) removed`);
      if (enforce) replaceResponseJson(res, outcome.value);
      else forgetResponseJson(res);
      return CONTINUE;
    }
    return deny(ctx, 'response_check', outcome.ruleIds, outcome.message);
  };

  return {
    name: NAME,
    order: ORDER,
    mode: cfg.mode,
    onError: 'fail-closed',
    needsRequestBody: policy.needsRequestBody,
    needsResponseBody: policy.response.length > 0,
    maxResponseBodySize: cfg.maxResponseBodySize,
    handlers: policy.response.length > 0 ? { authorize, respond } : { authorize },
  };
}

function appliesTo(rule: CompiledRule, roles: readonly string[]): boolean {
  return rule.roles === undefined || rule.roles.some((r) => roles.includes(r));
}

