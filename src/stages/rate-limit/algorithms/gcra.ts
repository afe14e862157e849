import type { LimitRule, LimitState, Outcome } from './types.js';

/**
 * GCRA (the leaky bucket as a meter): one request every `windowMs / limit` on average, with up
 * to `burst` at once. Smooth pacing with a single number of state: the theoretical arrival
 * time (TAT). Equivalent to a token bucket of capacity `burst`, which the property test checks.
 *
 * @example
 * const o = gcra({ algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 1 }, undefined, Date.now(), 1);
 */
export function gcra(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  const interval = rule.windowMs / rule.limit;
  const tolerance = rule.burst * interval;
  const tat = Math.max(state?.[0] ?? now, now);
  const next = tat + cost * interval;
  const allowAt = next - tolerance;
  if (now < allowAt) {
    return { allowed: false, state: [tat], remaining: 0, resetMs: Math.ceil(tat - now), retryAfterMs: Math.ceil(allowAt - now), ttlMs: Math.ceil(tat - now) + 1 };
  }
  const remaining = Math.max(0, Math.floor((tolerance - (next - now)) / interval + 1e-9));
  return { allowed: true, state: [next], remaining, resetMs: Math.ceil(next - now), retryAfterMs: 0, ttlMs: Math.ceil(next - now) + 1 };
}
