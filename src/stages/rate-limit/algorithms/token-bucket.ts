import type { LimitRule, LimitState, Outcome } from './types.js';

/**
 * Token bucket: a bucket of `burst` tokens refilled continuously at `limit / windowMs`.
 * Allows bursts up to the capacity and an average of `limit` per window. State: [tokens, lastMs].
 *
 * @example
 * const o = tokenBucket({ algorithm: 'token-bucket', limit: 10, windowMs: 1000, burst: 10 }, undefined, Date.now(), 1);
 */
export function tokenBucket(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  const rate = rule.limit / rule.windowMs;
  const cap = rule.burst;
  let tokens = cap;
  if (state !== undefined && state.length === 2) {
    const last = state[1]!;
    tokens = Math.min(cap, state[0]! + Math.max(0, now - last) * rate);
  }
  if (tokens >= cost) {
    const left = tokens - cost;
    const full = Math.ceil((cap - left) / rate);
    return { allowed: true, state: [left, now], remaining: Math.floor(left), resetMs: full, retryAfterMs: 0, ttlMs: full + 1 };
  }
  const wait = Math.ceil((cost - tokens) / rate);
  const full = Math.ceil((cap - tokens) / rate);
  return { allowed: false, state: [tokens, now], remaining: 0, resetMs: full, retryAfterMs: wait, ttlMs: full + 1 };
}
