import { sharedRateLimitStores, timedCheck } from '../stages/rate-limit/shared.js';
import type { LimitRule } from '../stages/rate-limit/algorithms/types.js';
import type { CheckRequest, RateLimitStore } from '../stages/rate-limit/stores/store.js';
import type { KeyValueStore } from '../store/store.js';

/** The budget's verdict for one outbound request. */
export interface BudgetVerdict {
  readonly allowed: boolean;
  /** Seconds until a request could pass (for Retry-After), at least 1 when refused. */
  readonly retryAfterSeconds: number;
}

/**
 * The memory store's bound when egress is the first to ask for the gateway's rate-limit store:
 * the rate-limit stage's default, because the store is shared per gateway store and the first
 * caller sizes it for the stages too.
 */
const MEMORY_KEYS = 100_000;

/**
 * The outbound request budget of one integration, kept in the gateway's configured store: with
 * Redis every instance draws from one budget (a provider's quota is per account, not per gateway
 * process), in memory it is this process's. A sliding window, so a burst at a window's edge
 * cannot double the budget. When the store fails, the budget is checked in this process instead
 * (fail-open to a local limit): an outage of the store must not cut the application off from its
 * providers, and the local limit still bounds a runaway application.
 *
 * @example
 * const budget = new EgressBudget('rates', 50, 1000, store);
 * const v = await budget.take();
 * if (!v.allowed) refuse429(v.retryAfterSeconds);
 */
export class EgressBudget {
  readonly #primary: RateLimitStore;
  readonly #fallback: RateLimitStore;
  readonly #request: CheckRequest;

  constructor(integration: string, requests: number, windowMs: number, store: KeyValueStore) {
    const { primary, fallback } = sharedRateLimitStores(store, MEMORY_KEYS);
    this.#primary = primary;
    this.#fallback = fallback;
    const rule: LimitRule = { algorithm: 'sliding-window', limit: requests, windowMs, burst: requests };
    // The rule is part of the id: a reload that changes the budget starts from a fresh count
    // instead of reading state written under another limit.
    this.#request = { scope: `egress.${integration}`, limits: [{ id: `budget:${requests}:${windowMs}`, rule, cost: 1 }] };
  }

  /** Takes one request from the budget (nothing is taken when it is spent). */
  async take(): Promise<BudgetVerdict> {
    let result;
    try {
      result = await timedCheck(this.#primary, this.#request, -1);
    } catch {
      result = await this.#fallback.check(this.#request);
    }
    const d = result.decisions[0];
    return { allowed: result.allowed, retryAfterSeconds: result.allowed ? 0 : Math.max(1, Math.ceil((d?.retryAfterMs ?? 1000) / 1000)) };
  }
}
