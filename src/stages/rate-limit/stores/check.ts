import { evaluateLimit } from '../algorithms/evaluate.js';
import { penaltyStatus, penaltyViolation } from '../algorithms/penalty.js';
import type { LimitState } from '../algorithms/types.js';
import type { CheckRequest, CheckResult, LimitDecision } from './store.js';

/** Reads and writes of one check, so the same evaluation runs over any synchronous state map. */
export interface StateAccess {
  read(key: string): LimitState | undefined;
  write(key: string, state: LimitState, ttlMs: number): void;
}

/**
 * The key of a limit's state: the scope is hash-tagged so one client's keys share a Redis Cluster slot.
 *
 * @example
 * stateKey('pcl:', 'ip.203.0.113.7', 'books:default'); // '{pcl:rl:ip.203.0.113.7}:books:default'
 */
export function stateKey(prefix: string, scope: string, id: string): string {
  return `{${prefix}rl:${scope}}:${id}`;
}

/**
 * Evaluates all of a request's limits at one instant: a penalty block short-circuits; otherwise
 * every limit is evaluated and state is written only when all allow (a denied request consumes
 * nothing). A denial counts as a penalty strike. The Redis Lua script mirrors this function.
 *
 * @example
 * const result = checkAll(request, Date.now(), access, 'pcl:');
 */
export function checkAll(request: CheckRequest, now: number, access: StateAccess, prefix: string): CheckResult {
  const pKey = request.penalty === undefined ? undefined : stateKey(prefix, request.scope, request.penalty.id);
  let strikes = 0;
  if (request.penalty !== undefined && pKey !== undefined) {
    const status = penaltyStatus(request.penalty.rule, access.read(pKey), now);
    if (status.blocked) return { allowed: false, decisions: [], penalty: status };
    strikes = status.strikes;
  }
  const decisions: LimitDecision[] = [];
  const writes: [string, LimitState, number][] = [];
  let allowed = true;
  for (const l of request.limits) {
    const key = stateKey(prefix, request.scope, l.id);
    const o = evaluateLimit(l.rule, access.read(key), now, l.cost);
    decisions.push({ allowed: o.allowed, remaining: o.remaining, resetMs: o.resetMs, retryAfterMs: o.retryAfterMs });
    writes.push([key, o.state, o.ttlMs]);
    if (!o.allowed) allowed = false;
  }
  if (allowed) {
    for (const [k, s, t] of writes) access.write(k, s, t);
    return { allowed, decisions };
  }
  if (request.penalty !== undefined && pKey !== undefined) {
    const v = penaltyViolation(request.penalty.rule, strikes, now);
    access.write(pKey, v.state, v.ttlMs);
    return { allowed, decisions, penalty: { blocked: v.blockMs > 0, retryAfterMs: v.blockMs, strikes: v.state[0]! } };
  }
  return { allowed, decisions };
}
