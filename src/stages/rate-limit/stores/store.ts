import type { LimitRule } from '../algorithms/types.js';
import type { PenaltyRule } from '../algorithms/penalty.js';

/** One limit of a request: its state key (unique per client and limit), its rule and the cost. */
export interface LimitCheck {
  /** Limit identity inside the scope, e.g. `books:per-minute`. */
  readonly id: string;
  readonly rule: LimitRule;
  readonly cost: number;
}

/** Everything one request is checked against, in one atomic call. */
export interface CheckRequest {
  /** The client's key (already sanitised: no braces, separators or unbounded length). */
  readonly scope: string;
  readonly limits: readonly LimitCheck[];
  readonly penalty?: { readonly id: string; readonly rule: PenaltyRule } | undefined;
}

/** One limit's verdict. */
export interface LimitDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  readonly resetMs: number;
  readonly retryAfterMs: number;
}

/** The verdict for a whole request. Limits consume only when every one of them allows. */
export interface CheckResult {
  readonly allowed: boolean;
  /** Same order as the request's limits; empty when a penalty blocked the request. */
  readonly decisions: readonly LimitDecision[];
  /** Set when the client is blocked by a progressive penalty (now, or by this violation). */
  readonly penalty?: { readonly blocked: boolean; readonly retryAfterMs: number; readonly strikes: number } | undefined;
}

/**
 * Rate-limit state behind one interface (STYLE 8): memory (bounded LRU) or Redis (one Lua
 * script call for the checks of one event-loop turn, each check atomic). Implementations take the time from one clock: the injected clock in
 * memory, Redis TIME in Redis, so instances with skewed clocks still agree.
 *
 * @example
 * const r = await store.check({ scope: 'ip:203.0.113.7', limits: [{ id: 'books:default', rule, cost: 1 }] });
 * if (!r.allowed) reject429(r);
 */
export interface RateLimitStore {
  /** Back-end name for metrics: memory, redis or cluster. */
  readonly backend: string;
  check(request: CheckRequest): Promise<CheckResult>;
  close(): Promise<void>;
}
