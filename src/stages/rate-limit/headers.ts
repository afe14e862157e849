import type { CompiledLimit } from './compile.js';
import type { LimitDecision } from './stores/store.js';

/**
 * The limit that binds hardest: a denying one with the longest wait, else the one with the fewest units left.
 *
 * @example
 * const i = tightest(limits, result.decisions); // index into both, -1 when there are none
 */
export function tightest(limits: readonly CompiledLimit[], decisions: readonly LimitDecision[]): number {
  let best = 0;
  for (let i = 1; i < decisions.length; i++) {
    const d = decisions[i]!;
    const b = decisions[best]!;
    if (d.allowed !== b.allowed) { if (!d.allowed) best = i; continue; }
    if (!d.allowed ? d.retryAfterMs > b.retryAfterMs : d.remaining < b.remaining) best = i;
  }
  return limits.length === 0 ? -1 : best;
}

/**
 * RateLimit-Policy and RateLimit in the structured-field syntax of draft-ietf-httpapi-ratelimit-headers
 * (-08 and later): `"<name>";q=<quota>;w=<window s>` and `"<name>";r=<remaining>;t=<reset s>`.
 * Names are restricted by the schema to characters that need no escaping in an sf-string.
 *
 * @example
 * policyItem('default', 100, 60); // '"default";q=100;w=60'
 */
export function policyItem(name: string, quota: number, windowSeconds: number): string {
  return `"${name}";q=${quota};w=${windowSeconds}`;
}

/**
 * One RateLimit item.
 *
 * @example
 * limitItem('default', 42, 16_200); // '"default";r=42;t=17'
 */
export function limitItem(name: string, remaining: number, resetMs: number): string {
  return `"${name}";r=${Math.max(0, Math.floor(remaining))};t=${Math.max(0, Math.ceil(resetMs / 1000))}`;
}

/**
 * Retry-After in whole seconds, at least 1 (a 0 would invite an immediate retry storm).
 *
 * @example
 * retryAfterSeconds(1500); // '2'
 */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
