import type { CelInput } from '@bufbuild/cel';
import { CLIENT_ERRORS, GatewayError, PROBLEM_CONTENT_TYPE, toProblem, type ClientErrorCode } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { eventPath } from '../../observability/event-path.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
// One policy language for authz and response rules (src/policy): a condition means the same in both.
import { compileCondition, type CompiledCondition } from '../../policy/cel.js';
import { principalVar, requestVar, responseVar } from '../../policy/variables.js';
import { contentTypeMatcher, isJsonType, statusMatcher } from './match.js';
import type { ResponseRuleConfig, ResponseRulesConfig } from './schema.js';

export const STAGE_NAME = 'response-rules';
export const STAGE_ORDER = 700;

type BodyOf = (ctx: RequestContext) => Buffer;

interface CompiledRule {
  readonly name: string;
  readonly status: (s: number) => boolean;
  readonly contentType: (ct: unknown) => boolean;
  readonly when: CompiledCondition | undefined;
  readonly setStatus: number | undefined;
  readonly headers: readonly (readonly [string, string | null])[];
  /** The replacement body and its Content-Type, when the rule replaces the body. */
  readonly body: { readonly of: BodyOf; readonly contentType: string } | undefined;
  /** The problem code the client gets, when the rule answers with a problem document. */
  readonly code: string | undefined;
}

function compileRule(rule: ResponseRuleConfig, index: number): CompiledRule {
  const at = `rules[${index}] (${rule.name})`;
  let when: CompiledCondition | undefined;
  if (rule.match.when !== undefined) {
    try {
      when = compileCondition(rule.match.when, ['response', 'request', 'principal']);
    } catch (err) {
      throw new Error(`${at}.match.when: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const set = rule.set;
  if (set.json !== undefined && set.problem !== undefined) throw new Error(`${at}.set: give either json or problem, not both`);
  if (set.contentType !== undefined && set.json === undefined) throw new Error(`${at}.set.contentType applies to a json body only`);
  if (set.status === undefined && set.headers === undefined && set.json === undefined && set.problem === undefined) {
    throw new Error(`${at}.set: changes nothing (give status, headers, json or problem)`);
  }
  let body: CompiledRule['body'];
  if (set.json !== undefined) {
    const bytes = Buffer.from(JSON.stringify(set.json));
    body = { of: () => bytes, contentType: set.contentType ?? 'application/json' };
  } else if (set.problem !== undefined) {
    const code = set.problem.code;
    if (!(code in CLIENT_ERRORS)) throw new Error(`${at}.set.problem.code: "${code}" is not a client error code (see docs/reference/errors.md)`);
    const status = set.status ?? CLIENT_ERRORS[code as ClientErrorCode].status;
    const error = new GatewayError(code as ClientErrorCode, { status, ...(set.problem.detail !== undefined ? { detail: set.problem.detail } : {}) });
    // The problem document carries the request id in `instance`, like the gateway's own errors.
    body = { of: (ctx) => Buffer.from(JSON.stringify(toProblem(error, ctx.id))), contentType: PROBLEM_CONTENT_TYPE };
  }
  let status: (s: number) => boolean;
  try {
    status = statusMatcher(rule.match.status);
  } catch (err) {
    throw new Error(`${at}.match.status: ${(err as Error).message}`, { cause: err });
  }
  return {
    name: rule.name, status, contentType: contentTypeMatcher(rule.match.contentType), when,
    setStatus: set.status ?? (set.problem !== undefined ? CLIENT_ERRORS[set.problem.code as ClientErrorCode].status : undefined),
    headers: Object.entries(set.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const),
    body,
    code: set.problem?.code,
  };
}

/**
 * Compiles declarative response rules: the first rule whose status, content type and CEL
 * condition match an upstream response sets its status, headers and body. Runs in `respond`
 * at order 700, after authz's ownership checks and before `response-filter` (800), so a mapped
 * status is judged against the contract as the new status.
 *
 * @example
 * const stage = createResponseRulesStage({ mode: 'enforce', maxBodySize: 1048576, rules: [
 *   { name: 'uniform-login', match: { status: [401, 404] }, set: { status: 401, problem: { code: 'PCL_AUTHN_INVALID' } } },
 * ] }, deps);
 */
export function createResponseRulesStage(cfg: ResponseRulesConfig, _deps: StageDeps): Stage {
  const rules = cfg.rules.map(compileRule);
  // The body is buffered only when some rule reads or replaces it.
  const readsResponse = rules.some((r) => r.when?.variables.has('response') === true);
  const needsBody = readsResponse || rules.some((r) => r.body !== undefined);
  const readsRequestBody = rules.some((r) => r.when !== undefined && (r.when.requestFields === 'all' || r.when.requestFields.has('body')));
  const enforcing = cfg.mode === 'enforce';

  const parsed = (res: ResponseContext): unknown => {
    if (res.body === undefined || res.body.length === 0 || !isJsonType(res.headers['content-type'])) return null;
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch {
      return null;
    }
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (res.generated) return CONTINUE;
    let vars: Record<string, CelInput> | undefined;
    for (const rule of rules) {
      if (!rule.status(res.status) || !rule.contentType(res.headers['content-type'])) continue;
      if (rule.when !== undefined) {
        vars ??= { response: responseVar(res, parsed(res)), request: requestVar(ctx, rule.when.requestFields), principal: principalVar(ctx.principal) };
        if (rule.when.evaluate(vars) !== true) continue;
      }
      return apply(ctx, res, rule);
    }
    return CONTINUE;
  };

  const apply = (ctx: RequestContext, res: ResponseContext, rule: CompiledRule): Decision => {
    const from = res.status;
    ctx.findings.push({ stage: STAGE_NAME, code: 'response.rewritten', message: `rule "${rule.name}" matched status ${from}`, enforced: enforcing, ruleIds: [rule.name] });
    publishSecurityEvent(() => ({
      kind: 'response.rewritten', reason: rule.name, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId,
      client: ctx.client.ip, ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}),
      severity: 'info', stage: STAGE_NAME, ruleIds: [rule.name], excerpt: `status ${from}`, enforced: enforcing,
      // The event stands for what the client got: enough to reconstruct the exchange from the events alone.
      method: ctx.method, path: eventPath(ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`), status: enforcing ? (rule.setStatus ?? from) : from,
      ...(enforcing && rule.code !== undefined ? { code: rule.code } : {}),
    }));
    if (!enforcing) return CONTINUE;
    if (rule.body !== undefined && res.body === undefined && res.oversize === true) {
      // Too large to have been buffered: it cannot be replaced, and letting it through would defeat the rule.
      return reject(new GatewayError('PCL_RESPONSE_CONTRACT_VIOLATION', { stage: STAGE_NAME, detail: 'The upstream response could not be rewritten.', internal: `rule "${rule.name}": body larger than maxBodySize` }));
    }
    if (rule.setStatus !== undefined) res.status = rule.setStatus;
    for (const [name, value] of rule.headers) {
      if (value === null) delete res.headers[name];
      else res.headers[name] = value;
    }
    if (rule.body !== undefined) {
      const body = rule.body.of(ctx);
      res.body = body;
      res.headers['content-type'] = rule.body.contentType;
      res.headers['content-length'] = String(body.length);
      // The replacement is ours: whatever described the upstream's bytes no longer applies.
      for (const h of ['content-encoding', 'etag', 'last-modified', 'content-range', 'content-md5', 'digest', 'content-digest']) delete res.headers[h];
    }
    return CONTINUE;
  };

  return {
    name: STAGE_NAME,
    order: STAGE_ORDER,
    mode: cfg.mode,
    onError: 'fail-closed',
    ...(needsBody ? { needsResponseBody: true, maxResponseBodySize: cfg.maxBodySize } : {}),
    ...(readsRequestBody ? { needsRequestBody: true } : {}),
    handlers: { respond },
  };
}
