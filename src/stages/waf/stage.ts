import { GatewayError } from '../../errors/index.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { restoreTransaction, snapshotTransaction, type RuleSet, type Transaction, type TransactionInput, type TransactionState, type WafMatch } from '../../waf/index.js';
import { sharedRuleSet, sharedRuleSetInSlices } from './cache.js';
import { publishMatches } from './events.js';
import { inspectRequest, inspectResponse, type InspectResult } from './inspect.js';
import { loopBudget } from './loop-budget.js';
import { transactionInput } from './request.js';
import { responseInput } from './response.js';
import { BODY_ERROR_RULE_ID, ruleSetInputs } from './rules.js';
import type { WafConfig } from './schema.js';
import { inspectionPool } from './worker-pool.js';

/**
 * Bodies from this size on are inspected on a worker thread (ADR 0006): CRS's cost grows with
 * the number of arguments; a 4 KiB JSON body of 36 items cost 34 ms of CPU on the loaded shared
 * machine (a 128 KiB bait, 80-130 ms), past the 20 ms the event loop may stall.
 * PCL_WAF_OFFLOAD_BYTES overrides it (0: never).
 */
const OFFLOAD_BYTES = Number(process.env['PCL_WAF_OFFLOAD_BYTES'] ?? 4_096);

/**
 * Buffered response bodies from this size on run phases 3-4 on a worker (ADR 0026): CRS's
 * data-leakage rules scan RESPONSE_BODY with a dozen patterns, linear in its size.
 * PCL_WAF_RESPONSE_OFFLOAD_BYTES overrides it (0: never). Follows OFFLOAD_BYTES off.
 */
const RESPONSE_OFFLOAD_BYTES = OFFLOAD_BYTES > 0 ? Number(process.env['PCL_WAF_RESPONSE_OFFLOAD_BYTES'] ?? 16_384) : 0;

/** The one message every WAF refusal carries: which rule matched is for logs only. */
const BLOCK_DETAIL = 'The request was refused by the web application firewall.';
const BODY_ERROR_DETAIL = 'The request body could not be parsed as its Content-Type declares.';
const RESPONSE_DETAIL = 'The upstream response was withheld by the web application firewall.';
const OVERSIZE_DETAIL = 'The request body is larger than the web application firewall inspects.';
const NOT_READY_DETAIL = 'The web application firewall is still loading its rules; retry shortly.';

/**
 * What a request leaves for its response phases: its transaction when inspected here, or,
 * when inspected on a worker, the request without its body and the state the worker sent
 * back (restored only if the response phases run here: ADR 0017, 0026).
 */
type Open = Transaction | { readonly request: TransactionInput; readonly state: TransactionState };

/**
 * Compiles the WAF stage: the rule set is loaded once per distinct settings per config
 * load (shared through deps.compileCache); each request runs phases 1 and 2 over a fresh
 * Transaction, and its response phases 3 and 4 over the same one (response.inspect).
 * enforce = SecRuleEngine On (a deny refuses with 403 PCL_WAF_BLOCKED, rule 200002 with
 * 400 PCL_WAF_BODY_UNPARSABLE, a response-phase deny with 502 PCL_WAF_RESPONSE_BLOCKED);
 * monitor = DetectionOnly (every rule runs, nothing is refused, the would-be block is
 * recorded as a monitor-mode finding).
 *
 * @example
 * const stage = createWafStage({ ...cfg, crsDir: '/usr/share/modsecurity-crs' }, deps);
 */
export function createWafStage(cfg: WafConfig, deps: StageDeps): Stage {
  const mode = cfg.enabled ? cfg.mode : 'off';
  const inputs = mode === 'off' ? undefined : ruleSetInputs(cfg, deps.baseDir);
  // Under compileRuntime the rules compile in slices that let the event loop serve the old
  // configuration meanwhile (a reload, ADR 0026); the runtime exists only once they are ready.
  let rules: RuleSet | undefined;
  if (inputs !== undefined && deps.defer !== undefined) deps.defer(sharedRuleSetInSlices(inputs, deps.compileCache).then((rs) => { rules = rs; warm(); }));
  else if (inputs !== undefined) rules = sharedRuleSet(inputs, deps.compileCache);
  const engineMode = mode === 'enforce' ? 'On' : 'DetectionOnly';
  const where = { api: deps.apiName, operationId: deps.operationId };
  const responsePhases = cfg.response.inspect !== 'off';
  // A request's transaction lives on for its response phases (TX scores, paranoia level, captures).
  const open = new WeakMap<RequestContext, Open>();
  // The worker threads start and load the rules with the configuration, not on the first large request.
  const warm = (): void => { if (inputs !== undefined && OFFLOAD_BYTES > 0) inspectionPool().warm(inputs); };
  if (rules !== undefined) warm();

  const inspect = (ctx: RequestContext): Decision | Promise<Decision> => {
    if (inputs === undefined) return CONTINUE;
    const rs = rules;
    if (rs === undefined) return notReady(mode);
    const size = ctx.body?.length ?? ctx.spooled?.size ?? 0;
    if (size > cfg.maxInspectBytes && cfg.oversize === 'block') {
      return reject(new GatewayError('PCL_BODY_TOO_LARGE', { detail: OVERSIZE_DETAIL, stage: 'waf', internal: `body of ${size} bytes above waf.maxInspectBytes ${cfg.maxInspectBytes}` }));
    }
    const input = transactionInput(ctx, cfg.maxInspectBytes);
    if (OFFLOAD_BYTES > 0 && size >= OFFLOAD_BYTES) {
      // A worker that fails (crashed, could not load) must not decide: inspect here instead.
      return inspectionPool().inspect(inputs, input, ctx.id, engineMode, responsePhases).then(
        (r) => decide(ctx, input, r),
        () => decide(ctx, input, inspectRequest(rs, input, ctx.id, engineMode)),
      );
    }
    // Inline, within the event loop's turn budget: requests read in one turn do not all run in it.
    return loopBudget().run(() => decide(ctx, input, inspectRequest(rs, input, ctx.id, engineMode)));
  };

  const decide = (ctx: RequestContext, input: TransactionInput, r: InspectResult): Decision => {
    if (rules === undefined) return CONTINUE;
    const { matches, interrupted } = r;
    // ctl:ruleEngine may have changed the mode mid-transaction; what counts is whether it refused.
    const refuse = interrupted || (mode === 'monitor' && wouldRefuse(rules, matches));
    publishMatches(ctx, matches, { blocked: interrupted, routine: !refuse, ...where });
    if (!refuse) {
      // Inspected on a worker: the response phases continue from the state it sent back (ADR 0017).
      if (responsePhases && r.tx !== undefined) open.set(ctx, r.tx);
      else if (responsePhases && r.state !== undefined) open.set(ctx, { request: { ...input, body: undefined }, state: r.state });
      return CONTINUE;
    }
    const ids = matches.map((m) => m.ruleId).join(',');
    if (isBodyError(r)) {
      return reject(new GatewayError('PCL_WAF_BODY_UNPARSABLE', { detail: BODY_ERROR_DETAIL, stage: 'waf', internal: `waf rules ${ids}: ${r.bodyError ?? ''}` }));
    }
    return reject(new GatewayError('PCL_WAF_BLOCKED', { detail: BLOCK_DETAIL, stage: 'waf', internal: `waf rules ${ids}` }));
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision | Promise<Decision> => {
    const o = open.get(ctx);
    const rs = rules;
    if (rs === undefined || inputs === undefined || o === undefined || res.generated) return CONTINUE;
    open.delete(ctx);
    const response = responseInput(ctx, res, cfg.response);
    const here = (): Decision => decideResponse(ctx, rs, inspectResponse(rs, 'state' in o ? restoreTransaction(o.request, ctx.id, o.state) : o, response));
    if (RESPONSE_OFFLOAD_BYTES > 0 && (response.body?.byteLength ?? 0) >= RESPONSE_OFFLOAD_BYTES) {
      // A large body goes to a worker with the transaction's state; a worker that fails does not decide.
      const request = 'state' in o ? o.request : o.input;
      const state = 'state' in o ? o.state : snapshotTransaction(o);
      return inspectionPool().respond(inputs, { ...request, body: undefined }, ctx.id, state, response).then(
        (r) => decideResponse(ctx, rs, r),
        () => loopBudget().run(here),
      );
    }
    return loopBudget().run(here);
  };

  const decideResponse = (ctx: RequestContext, rs: RuleSet, r: InspectResult): Decision => {
    // ctl:ruleEngine may have changed the mode mid-transaction; what counts is whether it refused.
    const refuse = r.interrupted || (mode === 'monitor' && wouldRefuse(rs, r.matches));
    publishMatches(ctx, r.matches, { blocked: r.interrupted, routine: !refuse, ...where });
    if (!refuse) return CONTINUE;
    const ids = r.matches.map((m) => m.ruleId).join(',');
    return reject(new GatewayError('PCL_WAF_RESPONSE_BLOCKED', { detail: RESPONSE_DETAIL, stage: 'waf', internal: `waf response rules ${ids}` }));
  };

  return {
    name: 'waf',
    order: 550,
    mode,
    onError: 'fail-closed',
    needsRequestBody: true,
    // Only the first maxInspectBytes are inspected: a spooled body's head serves (ADR 0024).
    spooledBodyPrefix: cfg.maxInspectBytes,
    ...(cfg.response.inspect === 'always' ? { needsResponseBody: true, maxResponseBodySize: cfg.response.maxBodyBytes } : {}),
    handlers: responsePhases ? { inspect, respond } : { inspect },
  };
}

/**
 * A request before the deferred compile settled (compileRuntime never hands such a runtime out
 * today): enforce refuses it with a typed, retryable 503 rather than an unexplained 500 (ADR
 * 0031); monitor refuses nothing, so it passes, as a monitor with no findings would.
 */
function notReady(mode: string): Decision {
  if (mode === 'monitor') return CONTINUE;
  return reject(new GatewayError('PCL_WAF_NOT_READY', { detail: NOT_READY_DETAIL, stage: 'waf', headers: { 'Retry-After': '1' }, internal: 'waf rule set not compiled yet' }));
}

/** The refusal came from rule 200002 (REQBODY_ERROR), in enforce or monitor mode. */
function isBodyError(r: InspectResult): boolean {
  if (r.interrupted) return r.ruleId === BODY_ERROR_RULE_ID;
  return r.matches.some((m) => m.ruleId === BODY_ERROR_RULE_ID);
}

const disruptiveById = new WeakMap<RuleSet, Map<number, string>>();

/** In DetectionOnly nothing interrupts: a match of a rule whose action denies is what enforce would have refused. */
function wouldRefuse(rules: RuleSet, matches: readonly WafMatch[]): boolean {
  let byId = disruptiveById.get(rules);
  if (byId === undefined) {
    byId = new Map();
    for (const r of rules.rules) {
      const action = r.disruptive === 'block' ? (rules.defaultDisruptive.get(r.phase) ?? 'pass') : r.disruptive;
      if (action !== undefined) byId.set(r.id, action);
    }
    disruptiveById.set(rules, byId);
  }
  return matches.some((m) => { const a = byId.get(m.ruleId); return a === 'deny' || a === 'drop' || a === 'redirect'; });
}
