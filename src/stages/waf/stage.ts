import { GatewayError } from '../../errors/index.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import type { RuleSet, WafMatch } from '../../waf/index.js';
import { sharedRuleSet } from './cache.js';
import { publishMatches } from './events.js';
import { inspectRequest, type InspectResult } from './inspect.js';
import { transactionInput } from './request.js';
import { ruleSetInputs } from './rules.js';
import type { WafConfig } from './schema.js';
import { inspectionPool } from './worker-pool.js';

/**
 * Bodies from this size on are inspected on a worker thread (ADR 0006): CRS's cost grows with
 * the number of arguments; a 4 KiB JSON body of 36 items cost 34 ms of CPU on the loaded shared
 * machine (a 128 KiB bait, 80-130 ms), past the 20 ms the event loop may stall.
 * PCL_WAF_OFFLOAD_BYTES overrides it (0: never).
 */
const OFFLOAD_BYTES = Number(process.env['PCL_WAF_OFFLOAD_BYTES'] ?? 4_096);

/** The one message every WAF refusal carries: which rule matched is for logs only. */
const BLOCK_DETAIL = 'The request was refused by the web application firewall.';
const OVERSIZE_DETAIL = 'The request body is larger than the web application firewall inspects.';

/**
 * Compiles the WAF stage: the rule set is loaded once per distinct settings per config
 * load (shared through deps.compileCache), and each request runs phases 1 and 2 over a
 * fresh Transaction. enforce = SecRuleEngine On (a deny refuses with 403
 * PCL_WAF_BLOCKED); monitor = DetectionOnly (every rule runs, nothing is refused, the
 * would-be block is recorded as a monitor-mode finding).
 *
 * @example
 * const stage = createWafStage({ ...cfg, crsDir: '/usr/share/modsecurity-crs' }, deps);
 */
export function createWafStage(cfg: WafConfig, deps: StageDeps): Stage {
  const mode = cfg.enabled ? cfg.mode : 'off';
  const inputs = mode === 'off' ? undefined : ruleSetInputs(cfg, deps.baseDir);
  const rules = inputs === undefined ? undefined : sharedRuleSet(inputs, deps.compileCache);
  const engineMode = mode === 'enforce' ? 'On' : 'DetectionOnly';
  const where = { api: deps.apiName, operationId: deps.operationId };

  const inspect = (ctx: RequestContext): Decision | Promise<Decision> => {
    if (rules === undefined || inputs === undefined) return CONTINUE;
    const size = ctx.body?.length ?? 0;
    if (size > cfg.maxInspectBytes && cfg.oversize === 'block') {
      return reject(new GatewayError('PCL_BODY_TOO_LARGE', { detail: OVERSIZE_DETAIL, stage: 'waf', internal: `body of ${size} bytes above waf.maxInspectBytes ${cfg.maxInspectBytes}` }));
    }
    const input = transactionInput(ctx, cfg.maxInspectBytes);
    if (OFFLOAD_BYTES > 0 && size >= OFFLOAD_BYTES) {
      // A worker that fails (crashed, could not load) must not decide: inspect here instead.
      return inspectionPool().inspect(inputs, input, ctx.id, engineMode).then(
        (r) => decide(ctx, r),
        () => decide(ctx, inspectRequest(rules, input, ctx.id, engineMode)),
      );
    }
    return decide(ctx, inspectRequest(rules, input, ctx.id, engineMode));
  };

  const decide = (ctx: RequestContext, { matches, interrupted }: InspectResult): Decision => {
    if (rules === undefined) return CONTINUE;
    // ctl:ruleEngine may have changed the mode mid-transaction; what counts is whether it refused.
    const refuse = interrupted || (mode === 'monitor' && wouldRefuse(rules, matches));
    publishMatches(ctx, matches, { blocked: interrupted, ...where });
    if (!refuse) return CONTINUE;
    const ids = matches.map((m) => m.ruleId).join(',');
    return reject(new GatewayError('PCL_WAF_BLOCKED', { detail: BLOCK_DETAIL, stage: 'waf', internal: `waf rules ${ids}` }));
  };

  return {
    name: 'waf',
    order: 550,
    mode,
    onError: 'fail-closed',
    needsRequestBody: true,
    handlers: { inspect },
  };
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
