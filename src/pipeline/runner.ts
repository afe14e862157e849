import { GatewayError, isGatewayError } from '../errors/index.js';
import { publishStageDecision, publishStageError } from '../observability/channels.js';
import type { RequestContext, ResponseContext } from './context.js';
import { CONTINUE, REQUEST_PHASES, type Decision, type RequestPhase, type SpoolPolicy, type Stage } from './stage.js';

/** What a stage that reads response bodies gets buffered when it names no limit. */
export const DEFAULT_RESPONSE_BODY_LIMIT = 1_048_576;

/** The stages of one operation, grouped per phase and sorted by order, built once at load. */
export interface CompiledPlan {
  readonly stages: readonly Stage[];
  readonly byPhase: Readonly<Record<RequestPhase | 'respond' | 'record', readonly Stage[]>>;
  readonly needsRequestBody: boolean;
  readonly needsResponseBody: boolean;
  /** Bytes of response body the gateway buffers for the respond phase: the smallest limit of the stages that read it (0 when none does). */
  readonly responseBodyLimit: number;
  /** Some stage has a request-phase handler (false lets the gateway skip the request phases). */
  readonly hasRequestStages: boolean;
  /** Stages that watch the request body while it is buffered (Stage.observeRequestBody). */
  readonly bodyObservers: readonly Stage[];
  /** Request bodies above a threshold go to disk (a body observer's Stage.spoolRequestBody). */
  readonly spool: SpoolPolicy | undefined;
}

/**
 * Groups stages by phase in their declared order. Stages in `off` mode are dropped here
 * so the hot path never sees them.
 *
 * @example
 * const plan = compilePlan([corsStage, headersStage]);
 */
export function compilePlan(stages: readonly Stage[]): CompiledPlan {
  const active = stages.filter((s) => s.mode !== 'off').sort((a, b) => a.order - b.order);
  const byPhase = {} as Record<RequestPhase | 'respond' | 'record', Stage[]>;
  for (const phase of [...REQUEST_PHASES, 'respond', 'record'] as const) {
    byPhase[phase] = active.filter((s) => s.handlers[phase] !== undefined);
  }
  return {
    stages: active,
    byPhase,
    needsRequestBody: active.some((s) => s.needsRequestBody === true),
    needsResponseBody: active.some((s) => s.needsResponseBody === true),
    responseBodyLimit: responseBodyLimit(active),
    hasRequestStages: REQUEST_PHASES.some((p) => byPhase[p].length > 0),
    bodyObservers: active.filter((s) => s.needsRequestBody === true && s.observeRequestBody !== undefined),
    spool: active.find((s) => s.needsRequestBody === true && s.observeRequestBody !== undefined && s.spoolRequestBody !== undefined)?.spoolRequestBody,
  };
}

function responseBodyLimit(stages: readonly Stage[]): number {
  const limits = stages.filter((s) => s.needsResponseBody === true).map((s) => s.maxResponseBodySize ?? DEFAULT_RESPONSE_BODY_LIMIT);
  return limits.length === 0 ? 0 : Math.min(...limits);
}

function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'continue') return true;
  if (kind === 'reject') return isGatewayError((value as { error?: unknown }).error);
  if (kind === 'respond') return typeof (value as { status?: unknown }).status === 'number';
  return false;
}

/**
 * Applies mode and failure policy to what a handler produced. A throw or an
 * unknown result is a rejection unless the stage is explicitly fail-open.
 */
function settle(stage: Stage, ctx: RequestContext, outcome: unknown, threw: boolean): Decision {
  let decision: Decision;
  if (!threw && isDecision(outcome)) {
    decision = outcome;
  } else if (threw && isGatewayError(outcome)) {
    decision = { kind: 'reject', error: outcome };
  } else {
    publishStageError({ requestId: ctx.id, stage: stage.name, error: outcome });
    if (stage.onError === 'fail-open') {
      ctx.findings.push({ stage: stage.name, code: 'PCL_STAGE_FAILED', message: 'stage failed; fail-open let the request pass', enforced: false });
      return CONTINUE;
    }
    decision = { kind: 'reject', error: new GatewayError('PCL_STAGE_FAILED', { stage: stage.name, internal: threw ? String(outcome) : 'unknown decision' }) };
  }
  if (decision.kind === 'continue') return decision;
  const enforced = stage.mode === 'enforce';
  const code = decision.kind === 'reject' ? decision.error.code : 'respond';
  ctx.findings.push({ stage: stage.name, code, message: decision.kind === 'reject' ? (decision.error.internal ?? decision.error.title) : 'answered by gateway', enforced });
  publishStageDecision({ requestId: ctx.id, stage: stage.name, decision: decision.kind, code, enforced });
  return enforced ? decision : CONTINUE;
}

async function runOne(stage: Stage, ctx: RequestContext, call: () => unknown): Promise<Decision> {
  const start = performance.now();
  let outcome: unknown;
  let threw = false;
  try {
    outcome = call();
    if (outcome instanceof Promise) outcome = await outcome;
  } catch (err) {
    outcome = err;
    threw = true;
  }
  return finish(stage, ctx, start, outcome, threw);
}

function finish(stage: Stage, ctx: RequestContext, start: number, outcome: unknown, threw: boolean): Decision {
  ctx.timings[stage.name] = (ctx.timings[stage.name] ?? 0) + (performance.now() - start);
  return settle(stage, ctx, outcome, threw);
}

/**
 * Runs one request-phase handler; synchronous when the handler is, so a plan whose stages
 * answer synchronously costs no promise. Failure semantics are runOne's.
 */
function runRequestStage(stage: Stage, phase: RequestPhase, ctx: RequestContext): Decision | Promise<Decision> {
  const start = performance.now();
  let outcome: unknown;
  try {
    outcome = stage.handlers[phase]!(ctx);
  } catch (err) {
    return finish(stage, ctx, start, err, true);
  }
  if (outcome instanceof Promise) {
    return outcome.then((v: unknown) => finish(stage, ctx, start, v, false), (err: unknown) => finish(stage, ctx, start, err, true));
  }
  return finish(stage, ctx, start, outcome, false);
}

/**
 * Runs the request phases in order. Returns the first non-continue decision.
 * `beforeInspect` runs between `limit` and `inspect` (the pipeline reads the body there).
 * The result is a plain Decision while every stage so far answered synchronously, and a
 * promise from the first stage (or body read) that did not: callers `await` either.
 *
 * @example
 * const decision = await runRequestPhases(plan, ctx);
 * if (decision.kind === 'reject') sendProblem(decision.error);
 */
export function runRequestPhases(plan: CompiledPlan, ctx: RequestContext, beforeInspect?: () => Promise<void>): Decision | Promise<Decision> {
  return runFrom(plan, ctx, beforeInspect, 0, 0);
}

function runFrom(plan: CompiledPlan, ctx: RequestContext, beforeInspect: (() => Promise<void>) | undefined, phaseIndex: number, stageIndex: number): Decision | Promise<Decision> {
  for (let p = phaseIndex; p < REQUEST_PHASES.length; p++) {
    const phase = REQUEST_PHASES[p]!;
    // The body is read only once the request got past authentication and limits, so an
    // anonymous flood cannot make the gateway buffer bodies.
    if (phase === 'inspect' && beforeInspect !== undefined) {
      return beforeInspect().then(() => runFrom(plan, ctx, undefined, p, 0));
    }
    const stages = plan.byPhase[phase];
    for (let i = p === phaseIndex ? stageIndex : 0; i < stages.length; i++) {
      const decision = runRequestStage(stages[i]!, phase, ctx);
      if (decision instanceof Promise) {
        return decision.then((d) => (d.kind !== 'continue' ? d : runFrom(plan, ctx, beforeInspect, p, i + 1)));
      }
      if (decision.kind !== 'continue') return decision;
    }
  }
  return CONTINUE;
}

/**
 * Runs the respond phase over a response (upstream or gateway-generated).
 * A rejection here replaces the response.
 */
export async function runRespondPhase(plan: CompiledPlan, ctx: RequestContext, res: ResponseContext): Promise<Decision> {
  for (const stage of plan.byPhase.respond) {
    const handler = stage.handlers.respond!;
    const decision = await runOne(stage, ctx, () => handler(ctx, res));
    if (decision.kind !== 'continue') return decision;
  }
  return CONTINUE;
}

/** Runs record handlers after the response; errors are reported, never thrown. */
export function runRecordPhase(plan: CompiledPlan, ctx: RequestContext, res: ResponseContext): void {
  for (const stage of plan.byPhase.record) {
    try {
      stage.handlers.record!(ctx, res);
    } catch (error) {
      publishStageError({ requestId: ctx.id, stage: stage.name, error });
    }
  }
}
