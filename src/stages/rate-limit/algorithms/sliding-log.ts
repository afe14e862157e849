import type { LimitRule, LimitState, Outcome } from './types.js';

/**
 * Sliding log: the timestamps of the requests allowed in the last `windowMs`; exact, at the
 * cost of up to `limit` numbers of state per client (the schema caps `limit` for it).
 * State: timestamps, oldest first, one per cost unit.
 *
 * @example
 * const o = slidingLog({ algorithm: 'sliding-log', limit: 10, windowMs: 1000, burst: 10 }, undefined, Date.now(), 1);
 */
export function slidingLog(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  const from = now - rule.windowMs;
  const log = (state ?? []).filter((t) => t > from);
  if (log.length + cost <= rule.limit) {
    for (let i = 0; i < cost; i++) log.push(now);
    return { allowed: true, state: log, remaining: rule.limit - log.length, resetMs: log[0]! + rule.windowMs - now, retryAfterMs: 0, ttlMs: rule.windowMs + 1 };
  }
  // The request fits once enough of the oldest entries have left the window.
  const mustExpire = log.length + cost - rule.limit;
  const retry = cost > rule.limit ? rule.windowMs : log[mustExpire - 1]! + rule.windowMs - now;
  const resetMs = log.length > 0 ? log[log.length - 1]! + rule.windowMs - now : rule.windowMs;
  return { allowed: false, state: log, remaining: 0, resetMs, retryAfterMs: Math.max(1, retry), ttlMs: rule.windowMs + 1 };
}
