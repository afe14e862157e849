import type { LimitRule, LimitState, Outcome } from './types.js';
import { windowBounds } from './windows.js';

/**
 * Fixed window: at most `limit` per aligned window (or UTC day / month for quotas). Cheap and
 * exact per window, but a client can send `limit` at the end of one window and `limit` at the
 * start of the next: up to twice the limit within one window length. State: [windowStart, count].
 *
 * @example
 * const o = fixedWindow({ algorithm: 'fixed-window', limit: 100, windowMs: 60_000, burst: 100 }, undefined, Date.now(), 1);
 */
export function fixedWindow(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  const [start, end] = windowBounds(now, rule.windowMs, rule.calendar);
  const count = state !== undefined && state[0] === start ? state[1] ?? 0 : 0;
  const resetMs = end - now;
  if (count + cost <= rule.limit) {
    return { allowed: true, state: [start, count + cost], remaining: rule.limit - count - cost, resetMs, retryAfterMs: 0, ttlMs: resetMs + 1 };
  }
  return { allowed: false, state: [start, count], remaining: 0, resetMs, retryAfterMs: resetMs, ttlMs: resetMs + 1 };
}
