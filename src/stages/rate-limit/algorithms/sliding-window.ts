import type { LimitRule, LimitState, Outcome } from './types.js';

/**
 * Sliding window counter: the previous fixed window's count, weighted by how much of it still
 * overlaps the sliding window, plus the current count. Two counters of state, no edge double
 * burst; an approximation that assumes the previous window's requests were spread evenly.
 * State: [windowStart, current, previous].
 *
 * @example
 * const o = slidingWindow({ algorithm: 'sliding-window', limit: 100, windowMs: 60_000, burst: 100 }, undefined, Date.now(), 1);
 */
export function slidingWindow(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  const w = rule.windowMs;
  const start = Math.floor(now / w) * w;
  let cur = 0;
  let prev = 0;
  if (state !== undefined && state.length === 3) {
    if (state[0] === start) { cur = state[1]!; prev = state[2]!; } else if (state[0] === start - w) { prev = state[1]!; }
  }
  const weight = (w - (now - start)) / w;
  const used = prev * weight + cur;
  const resetMs = start + w - now;
  if (used + cost <= rule.limit) {
    return { allowed: true, state: [start, cur + cost, prev], remaining: Math.max(0, Math.floor(rule.limit - used - cost)), resetMs, retryAfterMs: 0, ttlMs: resetMs + w + 1 };
  }
  // When the current window alone leaves room, the previous one's weight must fall far enough.
  const room = rule.limit - cur - cost;
  let retry = resetMs;
  if (room >= 0 && prev > 0) retry = Math.max(1, Math.ceil(start + w * (1 - room / prev) - now));
  return { allowed: false, state: [start, cur, prev], remaining: 0, resetMs, retryAfterMs: retry, ttlMs: resetMs + w + 1 };
}
